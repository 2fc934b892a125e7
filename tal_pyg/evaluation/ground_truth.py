"""Ground truth in the ActivityNet format: the one reader of the file, flat arrays for evaluation.

File format (``gt.json`` of BaS-Net/UM/DGAM, ``activity_net.v1-2.min.json``)::

    {"database": {VIDEO: {"subset": "test", "duration": 12.3,
                          "annotations": [{"segment": [s, e], "label": "HighJump"}]}}}

:func:`parse_database` is the only place that reads and validates this structure; both
:func:`load_ground_truth` (flat arrays for the evaluator) and
:func:`tal_pyg.datasets.annotations.load_activitynet_json` (per-video objects for the datasets) are
built on it. Rules, per video entry:

* ``annotations`` is required: a list (possibly empty) of objects with ``segment`` and ``label``.
  The official ActivityNet evaluator reads ``v['annotations']`` of every video unconditionally,
  and every real file has the key in every entry (BaS-Net ``gt.json``, DGAM ``gt_anet12.json``,
  the files that :mod:`tal_pyg.datasets` writes), so a missing key means a broken file, not a
  video without instances.
* ``segment`` is ``[start, end]`` in seconds, numbers or numeric strings (the THUMOS'14 ``gt.json``
  stores ``"18.6"``), finite, with ``0 <= start <= end``. Zero-length segments occur (3 in
  ``gt_anet12.json``) and are kept; segments ending after ``duration`` occur (185 in
  ActivityNet1.2) and are not checked. No real file has a negative start (THUMOS'14 and
  ActivityNet1.2: minimum 0.0 s), so one is rejected as a corrupt value.
* ``label`` is a string. ``"Ambiguous"`` is an ordinary label here, as in the official and the
  BaS-Net/DGAM evaluation; the datasets set such instances apart themselves.
* ``subset`` is optional (``None`` when absent), else a string.
* ``duration`` is optional, else a finite number of seconds ``> 0`` (numeric strings accepted).
* ``video_labels`` (explicit weak labels, written by :mod:`tal_pyg.datasets.convert`) is
  optional, else a list of strings.

Other keys (``url``, ``resolution``, ``version``, ``taxonomy``) are ignored. Errors are
``ValueError`` naming the file, the video (``database['VIDEO']``) and the problem.

THUMOS'14 ``Ambiguous_test.txt`` (``video  start end`` per line) is likewise read in one place,
:func:`read_ambiguous_file`, used by :func:`load_ambiguous` (the evaluator) and by
:func:`tal_pyg.datasets.annotations.read_ambiguous`; its segments follow the same rules.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np

from tal_pyg.utils.io import read_json, read_text

__all__ = [
    "GroundTruth",
    "DatabaseEntry",
    "parse_database",
    "read_database",
    "load_ground_truth",
    "load_ambiguous",
    "read_ambiguous_file",
    "check_segments",
    "to_segments",
]

PathLike = Union[str, "os.PathLike[str]"]


Where = Callable[[int], str]


def check_segments(segments: np.ndarray, where: Where, what: str) -> None:
    """Raise ``ValueError`` naming the first segment that is not finite, negative or reversed.

    Args:
        segments: [N, 2] float64 seconds (start, end).
        where: row -> description of where that row comes from, e.g. ``"results['v'][3]"``.
        what: the file or object the segments come from.
    """
    if segments.size == 0:
        return
    start, end = segments[:, 0], segments[:, 1]
    checks = (
        (~np.isfinite(segments).all(axis=1), "is not a pair of finite numbers"),
        (start < 0, "starts before 0 s"),
        (end < start, "is reversed (its end is before its start)"),
    )
    for bad, why in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{what}: {where(i)}: segment {segments[i].tolist()} {why}"
                f" ({int(bad.sum())} such segment(s) in total)"
            )


def _pair_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not a ``[start, end]`` pair of numbers, or ``None`` when it is one."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        return "not a list"
    if len(value) != 2:
        return f"{len(value)} value(s), not 2"
    for x in value:
        try:
            float(x)
        except (TypeError, ValueError):
            return f"{x!r} is not a number"
    return None


def to_segments(values: list, where: Where, what: str) -> np.ndarray:
    """Convert a list of 2-element lists of numbers / numeric strings to a [N, 2] float64 array.

    The result is checked with :func:`check_segments`; ``ValueError`` names the first bad entry.
    """
    if not values:
        return np.zeros((0, 2), dtype=np.float64)
    try:
        seg = np.asarray(values, dtype=np.float64)
        if seg.ndim != 2 or seg.shape[1] != 2:
            raise ValueError
    except (TypeError, ValueError):
        for i, v in enumerate(values):
            why = _pair_problem(v)
            if why is not None:
                raise ValueError(
                    f"{what}: {where(i)}: 'segment' must be [start, end] in seconds, "
                    f"got {v!r} ({why})"
                ) from None
        raise ValueError(f"{what}: segments could not be read as numbers") from None
    check_segments(seg, where, what)
    return seg


@dataclass(frozen=True)
class DatabaseEntry:
    """One validated entry of an ActivityNet-format ``database`` (see the module docstring), as the file
    has it: annotations in file order, ``"Ambiguous"`` an ordinary label (the evaluator's view; the datasets
    turn it into a :class:`~tal_pyg.datasets.annotations.VideoAnnotation`, Ambiguous segments set apart).

    Attributes:
        subset: the ``subset`` name, or ``None`` where the entry has none.
        duration: length in seconds (> 0), or ``None`` where the entry has none.
        labels: one label per annotation, in file order (``"Ambiguous"`` included).
        segments: [K, 2] float64, (start, end) in seconds of each annotation (as ``labels``).
        video_labels: explicit video-level labels, or ``None`` where the entry has none.
    """

    subset: Optional[str]
    duration: Optional[float]
    labels: tuple[str, ...]
    segments: np.ndarray
    video_labels: Optional[tuple[str, ...]] = None


@dataclass(frozen=True)
class GroundTruth:
    """Flat ground truth: one row per annotated instance.

    Attributes:
        videos: every video of the database, in file order (also those without annotations).
        subsets: the ``subset`` of each video (``None`` where the file has none).
        labels: class names in order of first appearance among the instances (the order the
            official evaluator gives its classes).
        video_index: [M] int64, instance -> position in ``videos``.
        label_index: [M] int64, instance -> position in ``labels``.
        segments: [M, 2] float64, (start, end) in seconds.
        source: where it came from (used in messages).
    """

    videos: tuple[str, ...]
    subsets: tuple[Optional[str], ...]
    labels: tuple[str, ...]
    video_index: np.ndarray
    label_index: np.ndarray
    segments: np.ndarray
    source: str = field(default="ground truth")

    @property
    def num_instances(self) -> int:
        return int(self.video_index.shape[0])

    @classmethod
    def from_arrays(
        cls,
        videos: Sequence[str],
        labels: Sequence[str],
        segments: Any,
        subsets: Optional[Mapping[str, Optional[str]]] = None,
        source: str = "ground truth",
    ) -> "GroundTruth":
        """Build from one entry per instance: its video, label and ``[start, end]``.

        ``subsets`` maps video -> subset; videos without any instance can be listed there too.
        """
        if not (len(videos) == len(labels) == len(segments)):
            raise ValueError(
                f"{source}: videos, labels and segments differ in length "
                f"({len(videos)}, {len(labels)}, {len(segments)})"
            )
        seg = to_segments(list(segments), lambda i: f"instance {i} of video {videos[i]!r}", source)
        all_videos = dict.fromkeys(list(subsets or {}) + list(videos))
        vid_pos = {v: i for i, v in enumerate(all_videos)}
        lab_pos: dict[str, int] = {}
        label_index = np.fromiter(
            (lab_pos.setdefault(lab, len(lab_pos)) for lab in labels), np.int64, len(labels)
        )
        video_index = np.fromiter((vid_pos[v] for v in videos), np.int64, len(videos))
        return cls(
            videos=tuple(all_videos),
            subsets=tuple((subsets or {}).get(v) for v in all_videos),
            labels=tuple(lab_pos),
            video_index=video_index,
            label_index=label_index,
            segments=seg,
            source=source,
        )

    def available_subsets(self) -> list[str]:
        return sorted({s for s in self.subsets if s is not None})

    def select(self, subset: Optional[str]) -> "GroundTruth":
        """The videos whose ``subset`` equals ``subset`` (``None``: everything, unchanged).

        The classes are re-derived from the kept instances, as the official evaluator does.
        """
        if subset is None:
            return self
        keep_video = np.array([s == subset for s in self.subsets], dtype=bool)
        if not keep_video.any():
            raise ValueError(
                f"{self.source}: no video has subset {subset!r} "
                f"(subsets in the file: {self.available_subsets() or 'none'})"
            )
        new_video_pos = np.cumsum(keep_video) - 1
        keep = keep_video[self.video_index]
        old_labels = self.label_index[keep]
        # classes in order of first appearance among the kept instances
        uniq, first = np.unique(old_labels, return_index=True)
        order = uniq[np.argsort(first, kind="stable")]
        remap = np.full(len(self.labels), -1, dtype=np.int64)
        remap[order] = np.arange(order.size)
        return GroundTruth(
            videos=tuple(v for v, k in zip(self.videos, keep_video) if k),
            subsets=tuple(s for s, k in zip(self.subsets, keep_video) if k),
            labels=tuple(self.labels[i] for i in order),
            video_index=new_video_pos[self.video_index[keep]],
            label_index=remap[old_labels],
            segments=self.segments[keep],
            source=self.source,
        )

    def video_labels(self) -> np.ndarray:
        """[num_videos, num_classes] float32 multi-hot of the instance labels of each video."""
        y = np.zeros((len(self.videos), len(self.labels)), dtype=np.float32)
        y[self.video_index, self.label_index] = 1.0
        return y


class _Entry(NamedTuple):
    """A database entry checked except for its segments (still as written in the file)."""

    subset: Optional[str]
    duration: Optional[float]
    labels: tuple[str, ...]
    raw_segments: list
    video_labels: Optional[tuple[str, ...]]


def _database(data: Any, what: str) -> dict:
    """The ``database`` object of ``data``."""
    if not isinstance(data, dict):
        raise ValueError(
            f"{what}: expected a JSON object with key 'database', got {type(data).__name__}"
        )
    if "database" not in data:
        raise ValueError(f"{what}: missing key 'database' (keys: {sorted(data)[:5]})")
    if not isinstance(data["database"], dict):
        raise ValueError(f"{what}: 'database' must map video names to entries")
    return data["database"]


def _subset(entry: dict, where: str) -> Optional[str]:
    subset = entry.get("subset")
    if subset is not None and not isinstance(subset, str):
        raise ValueError(f"{where}: 'subset' must be a string, got {subset!r}")
    return subset


def _duration(entry: dict, where: str) -> Optional[float]:
    value = entry.get("duration")
    if value is None:
        return None
    try:
        duration = float(value)
    except (TypeError, ValueError):
        duration = math.nan
    if not (math.isfinite(duration) and duration > 0):
        raise ValueError(f"{where}: 'duration' must be a positive number of seconds, got {value!r}")
    return duration


def _video_labels(entry: dict, where: str) -> Optional[tuple[str, ...]]:
    labels = entry.get("video_labels")
    if labels is None:
        return None
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ValueError(f"{where}: 'video_labels' must be a list of strings, got {labels!r}")
    return tuple(labels)


def _annotations(entry: dict, where: str) -> tuple[tuple[str, ...], list]:
    """The labels and the unconverted segments of the entry's ``annotations``."""
    anns = entry.get("annotations")
    if not isinstance(anns, list):
        raise ValueError(f"{where}: missing or invalid key 'annotations' (a list)")
    for i, ann in enumerate(anns):
        if not isinstance(ann, dict):
            raise ValueError(f"{where}['annotations'][{i}] must be an object")
        for key in ("segment", "label"):
            if key not in ann:
                raise ValueError(f"{where}['annotations'][{i}]: missing key {key!r}")
        if not isinstance(ann["label"], str):
            raise ValueError(
                f"{where}['annotations'][{i}]: 'label' must be a string, got {ann['label']!r}"
            )
    return tuple(ann["label"] for ann in anns), [ann["segment"] for ann in anns]


def _entry(entry: Any, where: str) -> _Entry:
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be an object")
    labels, raw_segments = _annotations(entry, where)
    return _Entry(_subset(entry, where), _duration(entry, where), labels, raw_segments,
                  _video_labels(entry, where))


def parse_database(data: Any, what: str) -> dict[str, DatabaseEntry]:
    """Validate an ActivityNet-format ground truth ``{"database": {video: {...}}}``.

    The rules are those of the module docstring. All segments of the file are converted in one
    go, so an error about segments names the first bad one and counts how many there are.

    Args:
        data: the loaded JSON.
        what: the file (or object) it came from, used in error messages.

    Returns:
        ``{video: DatabaseEntry}`` in file order, also for videos without annotations.

    Raises:
        ValueError: naming ``what``, the video and the problem.
    """
    database = _database(data, what)
    entries = {vid: _entry(e, f"{what}: database[{vid!r}]") for vid, e in database.items()}
    rows = [(vid, i) for vid, e in entries.items() for i in range(len(e.labels))]
    segments = to_segments(
        [s for e in entries.values() for s in e.raw_segments],
        lambda k: "database[{!r}]['annotations'][{}]".format(*rows[k]),
        what,
    )
    bounds = np.cumsum([len(e.labels) for e in entries.values()])[:-1]
    return {
        vid: DatabaseEntry(e.subset, e.duration, e.labels, seg, e.video_labels)
        for (vid, e), seg in zip(entries.items(), np.split(segments, bounds))
    }


def read_database(path: PathLike) -> dict[str, DatabaseEntry]:
    """Read and validate an ActivityNet-format ground-truth file (see :func:`parse_database`).

    Raises:
        FileNotFoundError / ValueError: missing, empty, non-UTF-8 or malformed file (see
            :func:`parse_database`); messages name the file.
    """
    path = Path(path)
    return parse_database(read_json(path, "ground-truth"), str(path))


def _flatten(records: Mapping[str, DatabaseEntry], what: str) -> GroundTruth:
    """One row per annotation of ``records`` (videos in order, then annotations in order)."""
    videos = [vid for vid, r in records.items() for _ in r.labels]
    labels = [lab for r in records.values() for lab in r.labels]
    segments = np.concatenate([np.zeros((0, 2))] + [r.segments for r in records.values()])
    subsets = {vid: r.subset for vid, r in records.items()}
    return GroundTruth.from_arrays(videos, labels, segments, subsets=subsets, source=what)


def load_ground_truth(source: Union[PathLike, Mapping[str, Any], GroundTruth]) -> GroundTruth:
    """Read ActivityNet-format ground truth from a path, an already-loaded dict or pass it through.

    Validation is that of :func:`parse_database`; ``"Ambiguous"`` is an ordinary label.

    Raises:
        FileNotFoundError / ValueError: missing file, malformed JSON, missing keys, segments that
            are not numbers, negative or reversed, a bad ``subset``/``duration``/``video_labels``.
            Messages name the file, the video, the problem.
    """
    if isinstance(source, GroundTruth):
        return source
    if isinstance(source, Mapping):
        return _flatten(parse_database(dict(source), "ground truth"), "ground truth")
    return _flatten(read_database(source), str(Path(source)))


def read_ambiguous_file(path: PathLike) -> dict[str, np.ndarray]:
    """Read THUMOS'14 ``Ambiguous_test.txt``: the one parser of the file.

    :func:`load_ambiguous` (the evaluator) and :func:`tal_pyg.datasets.annotations.read_ambiguous`
    (the datasets) are built on it. The real file (W-TALC ``Thumos14reduced-Annotations``, 99 lines,
    37 videos) looks like ``video_test_0000278  0.0 1.4``; the rules:

    * One segment per line: ``video start end`` in seconds, the fields separated by any run of
      whitespace (the real file has two spaces after the name and one between the times).
    * Lines end with ``\\n``, ``\\r\\n`` (DELU's copy of the file) or ``\\r``; line numbers count
      them as an editor does.
    * Lines that are empty or only whitespace are skipped (e.g. after the final line end).
    * Exactly three fields: no real copy has a fourth column, so one means a different or broken
      file rather than something to ignore.
    * ``start`` and ``end`` are numbers, finite, with ``0 <= start <= end``: the rules of
      :func:`parse_database` for ground-truth segments (:func:`check_segments`). The real file has
      no negative start (minimum 0.0 s) and no reversed segment; a reversed one would silently
      never overlap a prediction. Zero-length segments are kept, as in the ground truth.
    * Repeated lines are kept; videos come in order of first appearance, segments in file order.
      An empty file gives ``{}``.

    Returns:
        ``{video: [K, 2] float64 (start, end) in seconds}``.

    Raises:
        FileNotFoundError: ``ambiguous-segments file not found: {path}``.
        ValueError: a non-UTF-8 file, or a bad line: ``{path}: line {n}: {problem}`` (wrong number
            of fields, a value that is not a number, a non-finite, negative or reversed segment).
    """
    path = Path(path)
    what = str(path)
    groups: dict[str, list[int]] = {}
    rows: list[tuple[float, float]] = []
    linenos: list[int] = []
    for lineno, line in enumerate(read_text(path, "ambiguous-segments").split("\n"), 1):
        parts = line.split()
        if not parts:
            continue
        why = f"{len(parts)} field(s), not 3" if len(parts) != 3 else _pair_problem(parts[1:])
        if why is not None:
            raise ValueError(
                f"{what}: line {lineno}: expected 'video start end', got {line.strip()!r} ({why})"
            )
        groups.setdefault(parts[0], []).append(len(rows))
        rows.append((float(parts[1]), float(parts[2])))
        linenos.append(lineno)
    segments = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
    check_segments(segments, lambda i: f"line {linenos[i]}", what)
    return {vid: segments[rows_of_vid] for vid, rows_of_vid in groups.items()}


def load_ambiguous(
    source: Union[PathLike, Mapping[str, Sequence[Sequence[float]]]],
) -> dict[str, np.ndarray]:
    """Ambiguous segments per video, as [K, 2] float64 arrays of seconds.

    ``source`` is a mapping ``{video: [(start, end), ...]}`` (checked by :func:`to_segments`) or
    the W-TALC ``Ambiguous_test.txt`` (read by :func:`read_ambiguous_file`).
    """
    if isinstance(source, Mapping):
        out = {}
        for vid, segs in source.items():
            out[str(vid)] = to_segments(
                list(segs), lambda i, vid=vid: f"ambiguous[{vid!r}][{i}]",  # type: ignore[misc]
                "ambiguous segments"
            )
        return out
    return read_ambiguous_file(source)
