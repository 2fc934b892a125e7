"""SRT and CSV export of detections (tal_pyg/utils/subtitles.py)."""
from __future__ import annotations

import csv

import pytest

from tal_pyg.utils.subtitles import read_detections_csv, srt_timestamp, write_detections_csv, write_detections_srt

DETECTIONS = [
    {"label": "HighJump", "score": 0.5, "segment": [12.48, 15.36]},
    {"label": "LongJump", "score": 0.912, "segment": [3.0, 4.5]},
    {"label": "HighJump", "score": 0.87, "segment": [12.48, 14.0]},
    {"label": "Shotput", "score": 0.05, "segment": [3725.5, 3730.0004]},
]


def test_srt_timestamp():
    assert srt_timestamp(0) == "00:00:00,000"
    assert srt_timestamp(12.48) == "00:00:12,480"
    assert srt_timestamp(3725.5) == "01:02:05,500"
    assert srt_timestamp(59.9996) == "00:01:00,000"  # rounded to the millisecond


def test_srt_file_format(tmp_path):
    n = write_detections_srt(tmp_path / "v.srt", DETECTIONS)
    assert n == 4
    assert (tmp_path / "v.srt").read_text(encoding="utf-8") == (
        "1\n00:00:03,000 --> 00:00:04,500\nLongJump 0.91\n\n"
        "2\n00:00:12,480 --> 00:00:14,000\nHighJump 0.87\n\n"  # same start: higher score first
        "3\n00:00:12,480 --> 00:00:15,360\nHighJump 0.50\n\n"
        "4\n01:02:05,500 --> 01:02:10,000\nShotput 0.05\n"
    )
    assert write_detections_srt(tmp_path / "min.srt", DETECTIONS, min_score=0.6) == 2
    assert write_detections_srt(tmp_path / "none.srt", []) == 0
    assert (tmp_path / "none.srt").read_text() == ""


def test_csv_file_format_and_roundtrip(tmp_path):
    assert write_detections_csv(tmp_path / "v.csv", DETECTIONS) == 4
    with open(tmp_path / "v.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["start", "end", "label", "score"]
    assert rows[1] == ["3.000", "4.500", "LongJump", "0.9120"]
    assert rows[4] == ["3725.500", "3730.000", "Shotput", "0.0500"]
    back = read_detections_csv(tmp_path / "v.csv")
    assert [d["label"] for d in back] == ["LongJump", "HighJump", "HighJump", "Shotput"]
    assert back[2] == {"label": "HighJump", "score": 0.5, "segment": [12.48, 15.36]}
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="other.csv: expected CSV header"):
        read_detections_csv(tmp_path / "other.csv")


@pytest.mark.parametrize(
    "bad",
    [
        {"label": "A", "score": 0.5},
        {"label": "A", "score": 0.5, "segment": [2.0]},
        {"label": "A", "score": "high", "segment": [1, 2]},
        {"label": "A", "score": 0.5, "segment": [3, 2]},
        {"label": "A", "score": 0.5, "segment": [-1, 2]},
        {"label": "A", "score": float("nan"), "segment": [1, 2]},
    ],
)
def test_invalid_detections_are_rejected(tmp_path, bad):
    for writer in (write_detections_srt, write_detections_csv):
        with pytest.raises(ValueError, match="detection 1"):
            writer(tmp_path / "x", [DETECTIONS[0], bad])
    assert not (tmp_path / "x").exists()
