"""Reading and checking temporal annotations (ActivityNet JSON, split lists, class lists, Ambiguous).

The common in-memory form is :class:`VideoAnnotation`: the video's subset, its duration in
seconds (``None`` when the file has none, as in BaS-Net's ``gt.json``) and its instances
``(start_s, end_s, label)``. The JSON is read and validated by
:func:`tal_pyg.evaluation.ground_truth.parse_database`, the reader the evaluator uses too; segments
given as strings (BaS-Net writes ``["18.6", "24.8"]``) are converted to floats. Instances labelled
``"Ambiguous"`` (THUMOS'14) are kept apart so that an evaluator can ignore predictions on them
(see :attr:`VideoAnnotation.ambiguous`).
``Ambiguous_test.txt`` is read by :func:`tal_pyg.evaluation.ground_truth.read_ambiguous_file`
(see :func:`read_ambiguous`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from tal_pyg.evaluation.ground_truth import (
    DatabaseEntry,
    parse_database,
    read_ambiguous_file,
    read_database,
)

PathLike = Union[str, "os.PathLike[str]"]

AMBIGUOUS_LABEL = "Ambiguous"

# Names that the public annotation files use for the two WTAL splits.
TRAIN_SUBSETS = ("train", "training")
TEST_SUBSETS = ("test", "testing")


@dataclass
class VideoAnnotation:
    """Temporal annotation of one video as the datasets use it: the instances, with the ``Ambiguous``
    segments set apart (read from an ActivityNet-format file through
    :class:`~tal_pyg.evaluation.ground_truth.DatabaseEntry`, or from a layout's own files).

    Attributes:
        subset: subset name as written in the file (``"train"``, ``"validation"``, ...) or ``None``.
        duration: length in seconds, or ``None`` if the file has none.
        instances: ``[(start_s, end_s, label), ...]`` (the ``Ambiguous`` ones excluded).
        ambiguous: ``[(start_s, end_s), ...]`` of segments labelled ``Ambiguous``.
        video_labels: optional explicit weak labels (e.g. W-TALC ``labels_all``); ``None`` = the
            union of the instance labels.
    """

    subset: Optional[str] = None
    duration: Optional[float] = None
    instances: List[Tuple[float, float, str]] = field(default_factory=list)
    ambiguous: List[Tuple[float, float]] = field(default_factory=list)
    video_labels: Optional[List[str]] = None

    def weak_labels(self) -> List[str]:
        """The video-level labels (explicit ones, else the sorted union of instance labels)."""
        if self.video_labels is not None:
            return list(self.video_labels)
        return sorted({lab for _, _, lab in self.instances})


def _video_annotation(record: DatabaseEntry) -> VideoAnnotation:
    """The dataset view of a validated entry: ``Ambiguous`` instances set apart."""
    labels = None if record.video_labels is None else list(record.video_labels)
    va = VideoAnnotation(subset=record.subset, duration=record.duration, video_labels=labels)
    for (s, e), label in zip(record.segments.tolist(), record.labels):
        if label == AMBIGUOUS_LABEL:
            va.ambiguous.append((s, e))
        else:
            va.instances.append((s, e, label))
    return va


def _video_annotations(records: Dict[str, DatabaseEntry]) -> Dict[str, VideoAnnotation]:
    return {str(video): _video_annotation(r) for video, r in records.items()}


def parse_activitynet_database(obj: Any, source: str) -> Dict[str, VideoAnnotation]:
    """Check and convert an ActivityNet-format ground truth ``{"database": {video: {...}}}``.

    Validation is :func:`tal_pyg.evaluation.ground_truth.parse_database` (the one reader of the
    format, shared with the evaluator): ``annotations`` is required (a list, possibly empty),
    segments are finite with ``0 <= start <= end``, labels are strings, ``subset`` is a string,
    ``duration`` is positive and ``video_labels`` a list of strings where present.
    ``source`` names the file in error messages. Raises ``ValueError`` on any malformed entry.
    """
    return _video_annotations(parse_database(obj, source))


def load_activitynet_json(path: PathLike) -> Dict[str, VideoAnnotation]:
    """Read an ActivityNet-format ground-truth file (BaS-Net ``gt.json``, DGAM ``gt_anet12.json`` ...).

    Validation as in :func:`parse_activitynet_database`. Raises ``FileNotFoundError`` for a missing
    file and ``ValueError`` for an empty, non-UTF-8, non-JSON or malformed one.
    """
    return _video_annotations(read_database(path))


def to_activitynet(annotations: Dict[str, VideoAnnotation], subset: Optional[str] = None,
                   with_duration: bool = True) -> Dict[str, Any]:
    """Build an ActivityNet-format dict (float segments) from :class:`VideoAnnotation` objects.

    ``subset`` replaces each video's subset name when given (so that an evaluator can select it).
    """
    db: Dict[str, Any] = {}
    for video, va in annotations.items():
        entry: Dict[str, Any] = {"subset": subset if subset is not None else va.subset}
        if with_duration and va.duration is not None:
            entry["duration"] = va.duration
        entry["annotations"] = [{"segment": [s, e], "label": lab} for s, e, lab in va.instances]
        db[video] = entry
    return {"database": db}


def read_name_list(path: PathLike) -> List[str]:
    """Read a text file of names, one per line (blank lines and ``#`` comments ignored)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: list file not found") from None
    names = [ln.strip() for ln in text.splitlines()]
    names = [n for n in names if n and not n.startswith("#")]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[:5]
        raise ValueError(f"{path}: duplicated names {dup}")
    return names


def read_ambiguous(path: PathLike) -> Dict[str, List[Tuple[float, float]]]:
    """Read THUMOS'14 ``Ambiguous_test.txt``: ``{video: [(start_s, end_s), ...]}`` in file order.

    Parsed and checked by :func:`tal_pyg.evaluation.ground_truth.read_ambiguous_file`, the reader
    the evaluator uses too (rules there): ``video start end`` per line, any whitespace, CRLF ok,
    blank lines skipped, finite times with ``0 <= start <= end``. Raises ``FileNotFoundError`` for
    a missing file and ``ValueError`` naming the file, the line number and the problem.
    """
    segments = read_ambiguous_file(path)
    return {video: [(s, e) for s, e in seg.tolist()] for video, seg in segments.items()}


def merge_ambiguous(*maps: Dict[str, List[Tuple[float, float]]]) -> Dict[str, List[Tuple[float, float]]]:
    """Union of several ``{video: [(s, e), ...]}`` maps without duplicates (sorted per video)."""
    out: Dict[str, set] = {}
    for m in maps:
        for v, segs in m.items():
            out.setdefault(v, set()).update((float(s), float(e)) for s, e in segs)
    return {v: sorted(segs) for v, segs in sorted(out.items())}


def split_matches(subset: Optional[str], split: str, aliases: Mapping[str, Sequence[str]]) -> bool:
    """Whether a file's ``subset`` name belongs to the WTAL ``split`` under ``aliases``."""
    if subset is None:
        return False
    return subset in aliases.get(split, (split,))


def default_subset_aliases(subsets: Iterable[Optional[str]]) -> Dict[str, Tuple[str, ...]]:
    """Guess which file subset names form the WTAL train / test splits.

    THUMOS'14 files say ``validation``/``test`` (validation = train); ActivityNet1.2 files say
    ``training``/``validation`` (validation = test). Plain ``train``/``test`` map to themselves.
    """
    present = {s for s in subsets if s is not None}
    if "validation" in present and ("training" in present or "train" in present):
        return {"train": ("train", "training"), "test": ("validation", "test", "testing")}
    if "validation" in present:
        return {"train": ("validation", "train", "training"), "test": ("test", "testing")}
    return {"train": TRAIN_SUBSETS, "test": TEST_SUBSETS}
