"""Ground truth in the ActivityNet format, validated and turned into flat arrays.

File format (``gt.json`` of BaS-Net/UM/DGAM, ``activity_net.v1-2.min.json``)::

    {"database": {VIDEO: {"subset": "test",
                          "annotations": [{"segment": [s, e], "label": "HighJump"}]}}}

Segment values may be numbers or numeric strings (the THUMOS'14 ``gt.json`` stores ``"18.6"``).
Other keys (``duration``, ``url``, ``version``, ``taxonomy``) are ignored.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from tal_pyg.evaluation._jsonfile import read_json

__all__ = ["GroundTruth", "load_ground_truth", "load_ambiguous", "check_segments", "to_segments"]

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
        (end < start, "is reversed (end < start)"),
    )
    for bad, why in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{what}: {where(i)}: segment {segments[i].tolist()} {why}"
                f" ({int(bad.sum())} such segment(s) in total)"
            )


def to_segments(values: list, where: Where, what: str) -> np.ndarray:
    """Convert a list of 2-element lists of numbers / numeric strings to a [N, 2] float64 array."""
    if not values:
        return np.zeros((0, 2), dtype=np.float64)
    try:
        seg = np.asarray(values, dtype=np.float64)
        if seg.ndim != 2 or seg.shape[1] != 2:
            raise ValueError
    except (TypeError, ValueError):
        for i, v in enumerate(values):
            try:
                ok = len(v) == 2 and not isinstance(v, (str, bytes))
                if ok:
                    [float(x) for x in v]
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ValueError(
                    f"{what}: {where(i)}: 'segment' must be [start, end] in seconds, got {v!r}"
                ) from None
        raise ValueError(f"{what}: segments could not be read as numbers") from None
    check_segments(seg, where, what)
    return seg


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


def _parse_database(data: Any, what: str) -> GroundTruth:
    if not isinstance(data, dict):
        raise ValueError(
            f"{what}: expected a JSON object with key 'database', got {type(data).__name__}"
        )
    if "database" not in data:
        raise ValueError(f"{what}: missing key 'database' (keys: {sorted(data)[:5]})")
    db = data["database"]
    if not isinstance(db, dict):
        raise ValueError(f"{what}: 'database' must map video names to entries")
    videos, labels, segments, where = [], [], [], []  # where: (video, annotation number)
    subsets: dict[str, Optional[str]] = {}
    for vid, entry in db.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{what}: database[{vid!r}] must be an object")
        subsets[vid] = entry.get("subset")
        anns = entry.get("annotations")
        if not isinstance(anns, list):
            raise ValueError(
                f"{what}: database[{vid!r}]: missing or invalid key 'annotations' (a list)"
            )
        for i, ann in enumerate(anns):
            if not isinstance(ann, dict):
                raise ValueError(f"{what}: database[{vid!r}]['annotations'][{i}] must be an object")
            for key in ("segment", "label"):
                if key not in ann:
                    raise ValueError(
                        f"{what}: database[{vid!r}]['annotations'][{i}]: missing key {key!r}"
                    )
            if not isinstance(ann["label"], str):
                raise ValueError(
                    f"{what}: database[{vid!r}]['annotations'][{i}]: 'label' must be a string, "
                    f"got {ann['label']!r}"
                )
            videos.append(vid)
            labels.append(ann["label"])
            segments.append(ann["segment"])
            where.append((vid, i))
    seg = to_segments(
        segments, lambda k: "database[{!r}]['annotations'][{}]".format(*where[k]), what
    )
    gt = GroundTruth.from_arrays(videos, labels, seg, subsets=subsets, source=what)
    return gt


def load_ground_truth(source: Union[PathLike, Mapping[str, Any], GroundTruth]) -> GroundTruth:
    """Read ActivityNet-format ground truth from a path, an already-loaded dict or pass it through.

    Raises:
        FileNotFoundError / ValueError: missing file, malformed JSON, missing keys, segments that
            are not numbers, negative or reversed. Messages name the file, the video, the problem.
    """
    if isinstance(source, GroundTruth):
        return source
    if isinstance(source, Mapping):
        return _parse_database(dict(source), "ground truth")
    path = Path(source)
    return _parse_database(read_json(path, "ground-truth"), str(path))


def load_ambiguous(
    source: Union[PathLike, Mapping[str, Sequence[Sequence[float]]]],
) -> dict[str, np.ndarray]:
    """Ambiguous segments per video, as [K, 2] float64 arrays of seconds.

    ``source`` is a mapping ``{video: [(start, end), ...]}`` or the W-TALC ``Ambiguous_test.txt``
    (one segment per line: ``video start end``, whitespace separated).
    """
    if isinstance(source, Mapping):
        out = {}
        for vid, segs in source.items():
            out[str(vid)] = to_segments(
                list(segs), lambda i, vid=vid: f"ambiguous[{vid!r}][{i}]", "ambiguous segments"
            )
        return out
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"ambiguous-segments file not found: {path}")
    rows: dict[str, list] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) != 3:
                raise ValueError
            s, e = float(parts[1]), float(parts[2])
        except ValueError:
            raise ValueError(
                f"{path}:{lineno}: expected 'video start end', got {line.strip()!r}"
            ) from None
        rows.setdefault(parts[0], []).append((s, e))
    out = {}
    for vid, segs in rows.items():
        out[vid] = to_segments(segs, lambda i, vid=vid: f"video {vid!r}", str(path))
    return out
