"""Write the detections of one video as SRT subtitles or a CSV table (atomically).

A detection is a dict ``{"label": str, "score": float, "segment": [start_s, end_s]}`` (the entries
of the ActivityNet result format). Both writers sort by start time, then by descending score.

SRT (SubRip), one cue per detection, shown by video players next to the video::

    1
    00:00:12,480 --> 00:00:15,360
    HighJump 0.87

CSV: header ``start,end,label,score``, times in seconds with 3 decimals, score with 4.
"""
from __future__ import annotations

import csv
import math
import os
from typing import Any, Dict, List, Mapping, Sequence, Tuple, Union

from tal_pyg.utils.io import atomic_open, atomic_write_text

PathLike = Union[str, "os.PathLike[str]"]


def _checked(
    detections: Sequence[Mapping[str, Any]], min_score: float
) -> List[Tuple[float, float, str, float]]:
    rows = []
    for i, d in enumerate(detections):
        try:
            label, score = str(d["label"]), float(d["score"])
            start, end = (float(x) for x in d["segment"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"detection {i} must be {{'label': str, 'score': float, 'segment': [start, end]}}, "
                f"got {d!r} ({e})"
            ) from None
        if not all(math.isfinite(x) for x in (score, start, end)) or start < 0 or end < start:
            raise ValueError(
                f"detection {i}: need finite 0 <= start <= end and a finite score, got {d!r}"
            )
        if score >= min_score:
            rows.append((start, end, label, score))
    rows.sort(key=lambda r: (r[0], -r[3], r[1], r[2]))
    return rows


def srt_timestamp(seconds: float) -> str:
    """``HH:MM:SS,mmm`` rounded to the millisecond: ``srt_timestamp(3725.5) == "01:02:05,500"``."""
    ms = int(round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def write_detections_srt(
    path: PathLike, detections: Sequence[Mapping[str, Any]], min_score: float = 0.0
) -> int:
    """Write ``detections`` with ``score >= min_score`` as SRT subtitles; return the cue count.

    Cue text: ``"<label> <score:.2f>"``. Overlapping detections give overlapping cues (players
    show them together).
    """
    blocks = [
        f"{n}\n{srt_timestamp(s)} --> {srt_timestamp(e)}\n{label} {score:.2f}\n"
        for n, (s, e, label, score) in enumerate(_checked(detections, min_score), start=1)
    ]
    atomic_write_text(path, "\n".join(blocks))
    return len(blocks)


def write_detections_csv(
    path: PathLike, detections: Sequence[Mapping[str, Any]], min_score: float = 0.0
) -> int:
    """Write ``detections`` with ``score >= min_score`` as CSV ``start,end,label,score``.

    Returns the number of rows (without the header).
    """
    rows = _checked(detections, min_score)
    with atomic_open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["start", "end", "label", "score"])
        for s, e, label, score in rows:
            writer.writerow([f"{s:.3f}", f"{e:.3f}", label, f"{score:.4f}"])
    return len(rows)


def read_detections_csv(path: PathLike) -> List[Dict[str, Any]]:
    """Read a file written by :func:`write_detections_csv` back into detection dicts."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["start", "end", "label", "score"]:
            raise ValueError(
                f"{path}: expected CSV header start,end,label,score, got {reader.fieldnames}"
            )
        return [
            {
                "label": r["label"],
                "score": float(r["score"]),
                "segment": [float(r["start"]), float(r["end"])],
            }
            for r in reader
        ]
