"""Detection results in the ActivityNet result format: reading (validated), writing (atomic).

Format::

    {"version": "...",
     "results": {VIDEO: [{"label": "HighJump", "score": 0.93, "segment": [s, e]}]},
     "external_data": {"used": false, "details": ""},
     "evaluation": {"subset": "test", "tiou_thresholds": [0.1, ...], "tiou_preset": "thumos14",
                    "class_names": [...], "ambiguous": false, "ground_truth": "..."}}

Reading needs only ``results``; writing emits the first three keys (the official evaluator requires them).
``evaluation`` is optional (the official evaluator ignores it): ``tal-pyg train`` records there how it
evaluated the predictions, and :func:`~tal_pyg.evaluation.detection_map` / ``tal-pyg evaluate`` default to
those settings (docs/reliability.md).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from tal_pyg.utils.io import read_json
from tal_pyg.evaluation.ground_truth import to_segments
from tal_pyg.utils.io import atomic_write_json

__all__ = ["Predictions", "load_predictions", "write_predictions", "results_from_proposals"]

PathLike = Union[str, "os.PathLike[str]"]
ENTRY_KEYS = ("label", "score", "segment")


@dataclass(frozen=True)
class Predictions:
    """Flat detection results: one row per predicted segment.

    Attributes:
        videos: distinct video names, in order of appearance.
        labels: distinct labels, in order of appearance.
        video_index: [N] int64, row -> position in ``videos``.
        label_index: [N] int64, row -> position in ``labels``.
        scores: [N] float64, finite.
        segments: [N, 2] float64 (start, end) in seconds, ``0 <= start <= end``.
        source: where it came from (used in messages).
    """

    videos: tuple[str, ...]
    labels: tuple[str, ...]
    video_index: np.ndarray
    label_index: np.ndarray
    scores: np.ndarray
    segments: np.ndarray
    source: str = field(default="predictions")
    evaluation: Optional[dict] = field(default=None)  # the file's "evaluation" settings, checked

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @classmethod
    def from_arrays(
        cls,
        videos: Sequence[str],
        labels: Sequence[str],
        scores: Any,
        segments: Any,
        source: str = "predictions",
    ) -> "Predictions":
        """Build from one entry per prediction (its video, label, score and ``[start, end]``)."""
        n = len(videos)
        if not (n == len(labels) == len(scores) == len(segments)):
            raise ValueError(
                f"{source}: videos, labels, scores and segments differ in length "
                f"({n}, {len(labels)}, {len(scores)}, {len(segments)})"
            )
        vid_pos = {v: i for i, v in enumerate(dict.fromkeys(videos))}
        video_index = np.fromiter(map(vid_pos.__getitem__, videos), np.int64, n)
        return _build(tuple(vid_pos), video_index, list(labels), scores, list(segments),
                      lambda i: f"prediction {i} (video {videos[i]!r})", source)

    def to_results(self) -> dict[str, list[dict[str, Any]]]:
        """The ActivityNet ``results`` mapping (plain Python types), videos in input order."""
        out: dict[str, list[dict[str, Any]]] = {}
        labels, scores, segs = self.labels, self.scores.tolist(), self.segments.tolist()
        rows = zip(self.video_index.tolist(), self.label_index.tolist(), scores, segs)
        for v, lab, sc, sg in rows:
            entry = {"label": labels[lab], "score": sc, "segment": sg}
            out.setdefault(self.videos[v], []).append(entry)
        return out


def _build(videos, video_index, labels, scores, segments, where, source) -> Predictions:
    n = len(labels)
    # labels: strings
    try:
        distinct = list(dict.fromkeys(labels))
    except TypeError:  # unhashable label
        distinct = [None]
    if not all(isinstance(x, str) for x in distinct):
        i = next(k for k, x in enumerate(labels) if not isinstance(x, str))
        raise ValueError(f"{source}: {where(i)}: 'label' must be a string, got {labels[i]!r}")
    lab_pos = {x: i for i, x in enumerate(distinct)}
    label_index = np.fromiter(map(lab_pos.__getitem__, labels), np.int64, n)
    # scores: real numbers, finite
    sc = np.asarray(scores)
    if sc.dtype.kind not in "iuf" or sc.shape != (n,):
        for i, x in enumerate(scores):
            if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
                raise ValueError(f"{source}: {where(i)}: 'score' must be a number, got {x!r}")
        raise ValueError(f"{source}: scores must be numbers")
    sc = sc.astype(np.float64)
    bad = ~np.isfinite(sc)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{source}: {where(i)}: 'score' is {sc[i]} "
            f"(must be finite; {int(bad.sum())} such score(s))"
        )
    seg = to_segments(segments, where, source)
    return Predictions(
        videos=tuple(videos),
        labels=tuple(lab_pos),
        video_index=np.asarray(video_index, dtype=np.int64),
        label_index=label_index,
        scores=sc,
        segments=seg,
        source=source,
    )


def _parse_results(data: Any, what: str) -> tuple[Predictions, list[str]]:
    """Parse ``{"results": {...}}``: the predictions and every video key (also empty ones)."""
    if not isinstance(data, dict):
        raise ValueError(
            f"{what}: expected a JSON object with key 'results', got {type(data).__name__}"
        )
    if "results" not in data:
        raise ValueError(f"{what}: missing key 'results' (keys: {sorted(data)[:5]})")
    results = data["results"]
    if not isinstance(results, dict):
        raise ValueError(f"{what}: 'results' must map video names to lists of predictions")
    labels: list = []
    scores: list = []
    segments: list = []
    counts: list[int] = []
    keys = list(results)
    for vid in keys:
        entries = results[vid]
        if not isinstance(entries, list):
            raise ValueError(
                f"{what}: results[{vid!r}] must be a list, got {type(entries).__name__}"
            )
        try:
            labels.extend([e["label"] for e in entries])
            scores.extend([e["score"] for e in entries])
            segments.extend([e["segment"] for e in entries])
        except (KeyError, TypeError, IndexError):
            for i, e in enumerate(entries):
                if not isinstance(e, dict):
                    raise ValueError(
                        f"{what}: results[{vid!r}][{i}] must be an object, got {e!r}"
                    ) from None
                for key in ENTRY_KEYS:
                    if key not in e:
                        raise ValueError(
                            f"{what}: results[{vid!r}][{i}]: missing key {key!r}"
                        ) from None
            raise ValueError(f"{what}: results[{vid!r}]: entries could not be read") from None
        counts.append(len(entries))
    counts_a = np.asarray(counts, dtype=np.int64)
    video_index = np.repeat(np.arange(len(keys), dtype=np.int64), counts_a)
    ends = np.cumsum(counts_a)

    def where(i: int) -> str:
        v = int(np.searchsorted(ends, i, side="right"))
        return f"results[{keys[v]!r}][{i - (ends[v] - counts_a[v])}]"

    pred = _build(keys, video_index, labels, scores, segments, where, what)
    if data.get("evaluation") is not None:
        pred = dataclasses.replace(pred, evaluation=_evaluation_settings(data["evaluation"], what))
    return pred, keys


def _evaluation_settings(value: Any, what: str) -> dict:
    """The checked ``evaluation`` block of a results file."""
    if not isinstance(value, dict):
        raise ValueError(f"{what}: 'evaluation' must be an object, got {type(value).__name__}")
    subset = value.get("subset")
    if subset is not None and not isinstance(subset, str):
        raise ValueError(f"{what}: evaluation.subset must be a string or null, got {subset!r}")
    thr = value.get("tiou_thresholds")
    if thr is not None and not (isinstance(thr, list) and thr and all(
            isinstance(t, (int, float)) and not isinstance(t, bool) for t in thr)):
        raise ValueError(f"{what}: evaluation.tiou_thresholds must be a list of numbers, got {thr!r}")
    names = value.get("class_names")
    if names is not None and not (isinstance(names, list) and all(isinstance(c, str) for c in names)):
        raise ValueError(f"{what}: evaluation.class_names must be a list of strings")
    return dict(value)


def load_predictions(source: Union[PathLike, Mapping[str, Any], Predictions]) -> Predictions:
    """Read ActivityNet-format results from a path or an already-loaded dict (or pass through).

    Videos with an empty list are allowed; a file without any prediction is accepted here (the
    evaluation warns). Raises ``FileNotFoundError`` / ``ValueError`` with the file, the video, the
    entry and the problem: malformed JSON, missing keys, non-string labels, NaN/inf or non-numeric
    scores, segments that are not ``[start, end]``, negative or reversed.
    """
    if isinstance(source, Predictions):
        return source
    if isinstance(source, Mapping):
        return _parse_results(dict(source), "predictions")[0]
    path = Path(source)
    return _parse_results(read_json(path, "predictions"), str(path))[0]


def results_from_proposals(
    proposals: Mapping[str, Any], class_names: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """ActivityNet ``results`` from per-video proposal arrays.

    Args:
        proposals: video -> float array [P, 4] with columns (class_index, score, start_s, end_s)
            (the output of :mod:`tal_pyg.postprocess`).
        class_names: class index -> label.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for vid, arr in proposals.items():
        a = np.asarray(arr, dtype=np.float64).reshape(-1, 4) if np.size(arr) else np.zeros((0, 4))
        cls = a[:, 0]
        bad = a.shape[0] > 0 and (
            np.any(cls != np.round(cls)) or cls.min() < 0 or cls.max() >= len(class_names)
        )
        if bad:
            raise ValueError(
                f"proposals[{vid!r}]: class indices must be integers in [0, {len(class_names)}), "
                f"got {np.unique(cls)[:5].tolist()}"
            )
        out[str(vid)] = [
            {"label": class_names[int(c)], "score": s, "segment": [b, e]}
            for c, s, b, e in a.tolist()
        ]
    return out


def write_predictions(
    path: PathLike,
    results: Union[Mapping[str, Sequence[Mapping[str, Any]]], Predictions],
    version: Optional[str] = None,
    external_data: Optional[Mapping[str, Any]] = None,
    indent: Optional[int] = None,
    evaluation: Optional[Mapping[str, Any]] = None,
) -> Path:
    """Validate ``results`` and write them atomically in the ActivityNet result format.

    Args:
        path: output ``.json``.
        results: video -> list of ``{"label", "score", "segment"}`` (numpy numbers are fine), or a
            :class:`Predictions`. Videos with an empty list are kept.
        version: the ``version`` field (default ``"tal_pyg <version>"``).
        external_data: the ``external_data`` field (default ``{"used": False, "details": ""}``).
        evaluation: how the predictions are meant to be evaluated (``subset``, ``tiou_thresholds``,
            ``tiou_preset``, ``class_names``, ...): written as the ``evaluation`` field; the defaults of
            :func:`~tal_pyg.evaluation.detection_map` and ``tal-pyg evaluate``.

    Returns:
        the path written.
    """
    if isinstance(results, Predictions):
        pred, keys = results, list(results.videos)
    else:
        if not isinstance(results, Mapping):
            raise ValueError(
                f"results to write must map video names to lists, got {type(results).__name__}"
            )
        pred, keys = _parse_results({"results": dict(results)}, f"results for {path}")
    if version is None:
        from tal_pyg import __version__

        version = f"tal_pyg {__version__}"
    grouped = pred.to_results()
    obj = {
        "version": str(version),
        "results": {str(k): grouped.get(k, []) for k in keys},
        "external_data": (
            dict(external_data) if external_data is not None else {"used": False, "details": ""}
        ),
    }
    if evaluation is not None:
        obj["evaluation"] = _evaluation_settings(dict(evaluation), f"results for {path}")
    atomic_write_json(path, obj, indent=indent)
    return Path(path)
