"""Convert W-TALC's pickled feature file once into the safe, memory-mappable BaS-Net layout.

``<Name>-I3D-JOINTFeatures.npy`` (a pickled object array, element ``i`` = ``(T_i, 2048)`` RGB ‖ flow
of ``videoname[i]``) + ``<Name>-Annotations/`` become::

    OUT/features/{train,test}/{rgb,flow}/VIDEO.npy   # (T, 1024) float32 each
    OUT/gt.json                                      # subsets 'train'/'test', durations, and
                                                     # W-TALC's labels_all as 'video_labels'
    OUT/split_train.txt, OUT/split_test.txt, OUT/classes.txt, OUT/Ambiguous_test.txt (if any)

Reading the pickles needs ``trust_pickle=True``: only for files from a source you trust.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import numpy as np

from tal_pyg.datasets.annotations import default_subset_aliases, split_matches
from tal_pyg.datasets.layouts.wtalc import find_wtalc_files, read_wtalc_annotations
from tal_pyg.datasets.npy import load_npy

PathLike = Union[str, "os.PathLike[str]"]


def convert_wtalc_to_basnet(root: PathLike, out_dir: PathLike, dataset_name: Optional[str] = None,
                            trust_pickle: bool = False, feature_type: str = "I3D",
                            overwrite: bool = False) -> Path:
    """Write the BaS-Net layout for a W-TALC-layout folder and return ``out_dir``.

    The output is assembled in a temporary sibling folder and moved into place at the end.
    Empty feature arrays are written as ``(0, D/2)`` arrays (the loaders decide what to do with
    them); other malformed elements raise ``ValueError`` naming the element and video.
    """
    root, out = Path(root), Path(out_dir)
    feat_path, ann_dir = find_wtalc_files(root, dataset_name, feature_type)
    if not trust_pickle:
        raise ValueError(f"{feat_path}: W-TALC files are pickled; pass trust_pickle=True (--trust-pickle) "
                         "only for files you trust")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"{out}: output folder exists and is not empty (pass overwrite=True / --overwrite)")
    meta = read_wtalc_annotations(ann_dir, trust_pickle=True)
    feats = load_npy(feat_path, mmap=False, allow_pickle=True)
    names = meta["videoname"]
    if feats.ndim != 1 or len(feats) != len(names):  # type: ignore[arg-type]
        raise ValueError(f"{feat_path}: expected a 1-D object array of {len(names)} videos, "  # type: ignore[arg-type]
                         f"got shape {feats.shape}")
    aliases = default_subset_aliases(meta["subset"])  # type: ignore[arg-type]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        db: Dict[str, Any] = {}
        splits: Dict[str, List[str]] = {"train": [], "test": []}
        dims = {np.asarray(f).shape[1] for f in feats if np.asarray(f).ndim == 2 and np.asarray(f).size}
        if len(dims) != 1:
            raise ValueError(f"{feat_path}: videos have different feature dimensions {sorted(dims)}")
        dim = dims.pop()
        half = dim // 2
        for i, name in enumerate(names):  # type: ignore[arg-type, var-annotated]
            subset = meta["subset"][i]  # type: ignore[index]
            split = "train" if split_matches(subset, "train", aliases) else (
                "test" if split_matches(subset, "test", aliases) else None)
            if split is None:
                continue
            arr = np.asarray(feats[i])
            if arr.size == 0:
                arr = np.zeros((0, dim), dtype=np.float32)
            if arr.ndim != 2 or arr.shape[1] != dim:
                raise ValueError(f"{feat_path}[{i}] ({name}): expected shape (T, {dim}), got {arr.shape}")
            for stream, cols in (("rgb", slice(0, half)), ("flow", slice(half, None))):
                folder = tmp / "features" / split / stream
                folder.mkdir(parents=True, exist_ok=True)
                np.save(folder / f"{name}.npy", np.ascontiguousarray(arr[:, cols], dtype=np.float32))
            segs = meta["segments"][i]  # type: ignore[index]
            labs = [str(x) for x in meta["labels"][i]]  # type: ignore[index]
            db[name] = {
                "subset": split,
                "duration": float(meta["duration"][i]),  # type: ignore[index]
                "annotations": [{"segment": [float(s), float(e)], "label": lab} for (s, e), lab in zip(segs, labs)],
                "video_labels": [str(x) for x in meta["labels_all"][i]],  # type: ignore[index]
            }
            splits[split].append(name)
        (tmp / "gt.json").write_text(json.dumps({"database": db}, sort_keys=True) + "\n", encoding="utf-8")
        for split, vs in splits.items():
            (tmp / f"split_{split}.txt").write_text("".join(v + "\n" for v in vs), encoding="utf-8")
        (tmp / "classes.txt").write_text("".join(c + "\n" for c in meta["classlist"]), encoding="utf-8")  # type: ignore
        if (ann_dir / "Ambiguous_test.txt").is_file():
            shutil.copyfile(ann_dir / "Ambiguous_test.txt", tmp / "Ambiguous_test.txt")
        if out.exists():
            shutil.rmtree(out) if any(out.iterdir()) else out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
