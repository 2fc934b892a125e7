"""DGAM / STPN layout: files numbered by position, names from a separate list.

::

    ROOT/
    ├── train_data/
    │   ├── rgb_features/{1..N}.npy, flow_features/{1..N}.npy     # (T, 1024) each, 1-based
    │   ├── train_labels.npy                                      # (N, C) multi-hot (plain float array)
    │   └── *_train_vid_list.txt                                  # optional: line i <-> i.npy
    └── test_data/
        ├── rgb_features/..., flow_features/..., test_labels.npy
        ├── gt.json | gt_anet12.json                              # ActivityNet-format ground truth
        └── THUMOS14_test_vid_list.txt | ActivityNet12_test_vid_list.txt   # line i <-> i.npy

Neither DGAM nor STPN ship a list of training names; without one the training videos are
called ``train_1 ... train_N`` (for THUMOS'14 the package ships the list rebuilt from STPN's rule,
see ``datasets/thumos14/README.md``). The multi-hot labels need the class order (``class_names``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from tal_pyg.datasets.annotations import VideoAnnotation, load_activitynet_json, read_name_list
from tal_pyg.datasets.layouts.base import STREAMS, LayoutContents, StreamSource, LayoutVideo
from tal_pyg.datasets.npy import load_npy


def is_dgam(root: Path) -> bool:
    """True when ``root`` has ``train_data/`` or ``test_data/`` with ``*_features`` folders."""
    root = Path(root)
    return any((root / f"{s}_data" / f"{m}_features").is_dir() for s in ("train", "test") for m in STREAMS)


def _numbered(folder: Path) -> Dict[int, Path]:
    out = {}
    try:
        for e in os.scandir(folder):
            stem, ext = os.path.splitext(e.name)
            if ext == ".npy" and stem.isdigit():
                out[int(stem)] = Path(e.path)
    except FileNotFoundError:
        pass
    return out


def read_dgam(
    root: Path,
    split: str,
    annotations: Optional[Dict[str, VideoAnnotation]] = None,
    annotation_file: Optional[Path] = None,
    names: Optional[Sequence[str]] = None,
    class_names: Optional[Sequence[str]] = None,
) -> LayoutContents:
    """List the videos of ``split`` in a DGAM/STPN-layout folder.

    Args:
        names: the video names in file order (line ``i`` ↔ ``i.npy``); default: the folder's
            ``*_vid_list.txt``, else ``<split>_<i>``.
        class_names: column order of ``<split>_labels.npy`` (needed to name the labels).
    """
    root = Path(root)
    folder = root / f"{split}_data"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: DGAM split folder not found")
    files = {s: _numbered(folder / f"{s}_features") for s in STREAMS}
    count = max([max(f) if f else 0 for f in files.values()])
    if names is None:
        lists = sorted(folder.glob("*vid_list*.txt"))
        if len(lists) > 1:
            raise ValueError(f"{folder}: several video lists ({', '.join(p.name for p in lists)})")
        names = read_name_list(lists[0]) if lists else [f"{split}_{i}" for i in range(1, count + 1)]
        list_src = str(lists[0]) if lists else None
    else:
        names = list(names)
        list_src = None
    if count > len(names):
        raise ValueError(f"{folder}: {count} feature files but only {len(names)} names"
                         + (f" in {list_src}" if list_src else ""))
    gt_path = annotation_file
    if annotations is None:
        cands = [p for p in (folder / "gt.json", folder / "gt_anet12.json") if p.is_file()]
        if cands:
            gt_path = cands[0]
            annotations = load_activitynet_json(gt_path)
    labels_path = folder / f"{split}_labels.npy"
    labels = np.asarray(load_npy(labels_path, mmap=False)) if labels_path.is_file() else None
    if labels is not None:
        if labels.ndim != 2 or labels.shape[0] != len(names):
            raise ValueError(f"{labels_path}: expected shape ({len(names)}, C), got {labels.shape}")
        if class_names is None:
            raise ValueError(f"{labels_path}: multi-hot labels need the class order; pass class_names=")
        if labels.shape[1] not in (len(class_names), len(class_names) + 1):
            raise ValueError(f"{labels_path}: {labels.shape[1]} label columns but {len(class_names)} classes")
    records: List[LayoutVideo] = []
    for i, name in enumerate(names, start=1):
        a = (annotations or {}).get(name)
        va = VideoAnnotation(subset=split, duration=a.duration if a else None,
                             instances=list(a.instances) if a else [], ambiguous=list(a.ambiguous) if a else [])
        if labels is not None:
            va.video_labels = [class_names[j]  # type: ignore[index, call-overload]
                               for j in np.flatnonzero(labels[i - 1, : len(class_names)] > 0.5)]  # type: ignore[index, arg-type]
        elif a is None:
            va = VideoAnnotation(subset=split)
        rec = LayoutVideo(name=name, annotation=va)
        if labels is None and a is None:
            rec.missing["annotation"] = (f"{folder}: video {name!r} ({i}.npy) has neither a row in "
                                         f"{split}_labels.npy nor a ground-truth entry")
        for s in STREAMS:
            if i in files[s]:
                rec.sources[s] = StreamSource(path=files[s][i], label=f"{files[s][i]} ({name})")
            else:
                rec.missing[s] = str(folder / f"{s}_features" / f"{i}.npy")
        records.append(rec)
    ambiguous = {v: list(a.ambiguous) for v, a in (annotations or {}).items() if a.ambiguous}
    return LayoutContents("dgam", records, list(class_names) if class_names else None, ambiguous,
                          str(gt_path) if gt_path else str(labels_path))
