"""BaS-Net / BaM ("UM") layout: one ``.npy`` file per video and stream.

::

    ROOT/
    ├── gt.json                       # ActivityNet-format ground truth (segments may be strings)
    ├── split_train.txt, split_test.txt   # video names, one per line (optional: else gt.json 'subset')
    ├── classes.txt                   # optional class list, one per line (else given by the caller)
    ├── Ambiguous_test.txt            # optional THUMOS'14 ambiguous segments
    └── features/{train,test}/{rgb,flow}/VIDEO.npy     # (T, D_stream) each, same T for both
        (or features/{train,test}/VIDEO.npy, one joint (T, D) array, RGB columns first)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from tal_pyg.datasets.annotations import (
    VideoAnnotation,
    default_subset_aliases,
    load_activitynet_json,
    merge_ambiguous,
    read_ambiguous,
    read_name_list,
    split_matches,
)
from tal_pyg.datasets.layouts.base import STREAMS, LayoutContents, StreamSource, LayoutVideo


def _npy_names(folder: Path) -> set:
    try:
        return {e.name[:-4] for e in os.scandir(folder) if e.name.endswith(".npy")}
    except FileNotFoundError:
        return set()


def is_basnet(root: Path) -> bool:
    """True when ``root`` looks like the BaS-Net layout."""
    return (root / "features").is_dir() and any((root / "features" / s).is_dir() for s in ("train", "test"))


def read_basnet(
    root: Path,
    split: str,
    annotations: Optional[Dict[str, VideoAnnotation]] = None,
    annotation_file: Optional[Path] = None,
    names: Optional[Sequence[str]] = None,
    subset_aliases: Optional[Dict[str, Sequence[str]]] = None,
) -> LayoutContents:
    """List the videos of ``split`` in a BaS-Net-layout folder (no feature data are read).

    Args:
        root: dataset folder.
        split: ``"train"`` or ``"test"`` (the ``features/<split>`` folder).
        annotations: ground truth to use instead of ``root/gt.json``.
        annotation_file: path of the ground truth (default ``root/gt.json``).
        names: the videos of the split (default: ``split_<split>.txt``, else the gt.json subset).
        subset_aliases: subset names per split (see :func:`default_subset_aliases`).
    """
    root = Path(root)
    gt_path = Path(annotation_file) if annotation_file is not None else root / "gt.json"
    if annotations is None:
        annotations = load_activitynet_json(gt_path)
    split_file = root / f"split_{split}.txt"
    if names is None:
        if split_file.is_file():
            names = read_name_list(split_file)
        else:
            aliases = subset_aliases or default_subset_aliases(a.subset for a in annotations.values())
            names = sorted(v for v, a in annotations.items() if split_matches(a.subset, split, aliases))
    feat = root / "features" / split
    present = {s: _npy_names(feat / s) for s in STREAMS}
    joint = _npy_names(feat)
    records: List[LayoutVideo] = []
    for name in names:
        ann = annotations.get(name)
        rec = LayoutVideo(name=name, annotation=ann if ann is not None else VideoAnnotation())
        if ann is None:
            rec.missing["annotation"] = f"{gt_path}: video {name!r} (listed for split {split!r}) has no entry"
        for s in STREAMS:
            if name in present[s]:
                rec.sources[s] = StreamSource(path=feat / s / f"{name}.npy")
            elif name in joint:
                rec.sources["joint"] = StreamSource(path=feat / f"{name}.npy")
            else:
                rec.missing[s] = str(feat / s / f"{name}.npy")
        records.append(rec)
    class_names = read_name_list(root / "classes.txt") if (root / "classes.txt").is_file() else None
    ambiguous = {v: list(a.ambiguous) for v, a in annotations.items() if a.ambiguous}
    if (root / "Ambiguous_test.txt").is_file():
        ambiguous = merge_ambiguous(ambiguous, read_ambiguous(root / "Ambiguous_test.txt"))
    return LayoutContents("basnet", records, class_names, ambiguous, str(gt_path))
