"""W-TALC layout (W-TALC, 3C-Net, CO2-Net, DELU, ...): one pickled feature file per dataset.

::

    ROOT/
    ├── <Name>-I3D-JOINTFeatures.npy     # pickled 1-D object array; element i = (T_i, 2048) RGB ‖ flow
    └── <Name>-Annotations/
        ├── videoname.npy subset.npy classlist.npy duration.npy        # plain arrays
        ├── segments.npy labels.npy labels_all.npy                      # pickled object arrays
        └── Ambiguous_test.txt                                          # optional (THUMOS'14)

Element ``i`` of the feature file belongs to ``videoname[i]``. Both the feature file and three
annotation arrays are pickles, so this layout is only read with ``trust_pickle=True``; the whole
feature file is loaded into memory (a pickle cannot be memory-mapped). Convert it once with
:func:`tal_pyg.datasets.convert_wtalc_to_basnet` (``tal-pyg convert``) for safe, lazy reads.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from tal_pyg.datasets.annotations import (
    VideoAnnotation,
    default_subset_aliases,
    read_ambiguous,
    split_matches,
)
from tal_pyg.datasets.layouts.base import LayoutContents, StreamSource, LayoutVideo
from tal_pyg.datasets.npy import load_npy

FEATURE_SUFFIX = "-JOINTFeatures.npy"


def _feature_files(root: Path) -> List[Path]:
    return sorted(p for p in root.glob(f"*{FEATURE_SUFFIX}") if p.is_file())


def is_wtalc(root: Path) -> bool:
    """True when ``root`` holds a ``*-JOINTFeatures.npy`` file."""
    return bool(_feature_files(Path(root)))


def find_wtalc_files(root: Path, dataset_name: Optional[str] = None, feature_type: str = "I3D"):
    """Return ``(feature_file, annotation_folder)`` of a W-TALC-layout folder."""
    root = Path(root)
    if dataset_name is None:
        files = [p for p in _feature_files(root) if p.name.endswith(f"-{feature_type}{FEATURE_SUFFIX}")]
        if len(files) != 1:
            raise ValueError(
                f"{root}: found {len(files)} '*-{feature_type}{FEATURE_SUFFIX}' files "
                f"({', '.join(p.name for p in files) or 'none'}); pass dataset_name= (e.g. 'Thumos14reduced')")
        dataset_name = files[0].name[: -len(f"-{feature_type}{FEATURE_SUFFIX}")]
    feat = root / f"{dataset_name}-{feature_type}{FEATURE_SUFFIX}"
    ann = root / f"{dataset_name}-Annotations"
    if not feat.is_file():
        raise FileNotFoundError(f"{feat}: W-TALC feature file not found")
    if not ann.is_dir():
        raise FileNotFoundError(f"{ann}: W-TALC annotation folder not found")
    return feat, ann


def _strings(arr: np.ndarray) -> List[str]:
    return [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in arr.tolist()]


def read_wtalc_annotations(ann: Path, trust_pickle: bool) -> Dict[str, object]:
    """Read a ``<Name>-Annotations`` folder into plain Python lists (pickled arrays need trust)."""
    ann = Path(ann)

    def load(name: str, pickled: bool = False) -> np.ndarray:
        path = ann / f"{name}.npy"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: W-TALC annotation file not found")
        return np.asarray(load_npy(path, mmap=False, allow_pickle=pickled and trust_pickle))

    names = _strings(load("videoname"))
    n = len(names)
    out: Dict[str, object] = {"videoname": names}
    for key in ("subset", "classlist"):
        out[key] = _strings(load(key))
    dur = load("duration").astype(np.float64).reshape(-1)
    for key, arr in (("subset", out["subset"]), ("duration", dur)):
        if len(arr) != n:  # type: ignore[arg-type]
            raise ValueError(f"{ann / (key + '.npy')}: {len(arr)} entries, but videoname.npy has {n}")  # type: ignore
    out["duration"] = dur.tolist()
    for key in ("segments", "labels", "labels_all"):
        arr = load(key, pickled=True)
        if len(arr) != n:
            raise ValueError(f"{ann / (key + '.npy')}: {len(arr)} entries, but videoname.npy has {n}")
        out[key] = [list(x) for x in arr.tolist()]
    return out


def read_wtalc(
    root: Path,
    split: str,
    trust_pickle: bool = False,
    annotations: Optional[Dict[str, VideoAnnotation]] = None,
    annotation_file: Optional[Path] = None,
    names: Optional[Sequence[str]] = None,
    dataset_name: Optional[str] = None,
    feature_type: str = "I3D",
    weak_labels: str = "labels_all",
    subset_aliases: Optional[Dict[str, Sequence[str]]] = None,
) -> LayoutContents:
    """List the videos of ``split`` of a W-TALC-layout folder.

    Args:
        weak_labels: ``"labels_all"`` (W-TALC's video labels) or ``"instances"`` (union of the
            instance labels, the BaS-Net/DGAM convention); they differ for 28 THUMOS'14 videos.
        annotations: ground truth to use instead of ``segments.npy``/``labels.npy`` (the names,
            subsets and order still come from the annotation folder).
    """
    root = Path(root)
    feat_path, ann_dir = find_wtalc_files(root, dataset_name, feature_type)
    if not trust_pickle:
        raise ValueError(
            f"{feat_path}: W-TALC files are pickled object arrays; loading them can run arbitrary code. "
            "Pass trust_pickle=True (training config: data.trust_pickle: true) only for files you trust, "
            "or convert them once "
            "with `tal-pyg convert --trust-pickle` into the safe per-video layout.")
    if weak_labels not in ("labels_all", "instances"):
        raise ValueError(f"weak_labels must be 'labels_all' or 'instances', got {weak_labels!r}")
    meta = read_wtalc_annotations(ann_dir, trust_pickle=True)
    feats = load_npy(feat_path, mmap=False, allow_pickle=True)
    vnames: List[str] = meta["videoname"]  # type: ignore[assignment]
    if feats.ndim != 1 or len(feats) != len(vnames):
        raise ValueError(f"{feat_path}: expected a 1-D object array of {len(vnames)} videos "
                         f"(as in {ann_dir / 'videoname.npy'}), got shape {feats.shape}")
    aliases = subset_aliases or default_subset_aliases(meta["subset"])  # type: ignore[arg-type]
    wanted = set(names) if names is not None else None
    records: List[LayoutVideo] = []
    for i, name in enumerate(vnames):
        subset = meta["subset"][i]  # type: ignore[index]
        if wanted is not None:
            if name not in wanted:
                continue
        elif not split_matches(subset, split, aliases):
            continue
        if annotations is not None:
            a = annotations.get(name)
            va = VideoAnnotation(subset=subset, duration=a.duration if a else meta["duration"][i],  # type: ignore
                                 instances=list(a.instances) if a else [], ambiguous=list(a.ambiguous) if a else [])
        else:
            segs = meta["segments"][i]  # type: ignore[index]
            labs = [x.decode() if isinstance(x, bytes) else str(x) for x in meta["labels"][i]]  # type: ignore
            if len(segs) != len(labs):
                raise ValueError(f"{ann_dir}: video {name!r}: {len(segs)} segments but {len(labs)} labels")
            va = VideoAnnotation(subset=subset, duration=float(meta["duration"][i]),  # type: ignore[index]
                                 instances=[(float(s), float(e), lab) for (s, e), lab in zip(segs, labs)])
        if weak_labels == "labels_all":
            va.video_labels = [x.decode() if isinstance(x, bytes) else str(x)
                               for x in meta["labels_all"][i]]  # type: ignore[index]
        rec = LayoutVideo(name=name, annotation=va)
        rec.sources["joint"] = StreamSource(array=feats[i], label=f"{feat_path}[{i}] ({name})")
        records.append(rec)
    ambiguous = {}
    if (ann_dir / "Ambiguous_test.txt").is_file():
        ambiguous = read_ambiguous(ann_dir / "Ambiguous_test.txt")
    src = str(annotation_file) if annotation_file is not None else str(ann_dir)
    return LayoutContents("wtalc", records, list(meta["classlist"]), ambiguous, src)  # type: ignore[call-overload]
