"""Decoding and timestamp resampling (tal_pyg/extract/video.py)."""
from __future__ import annotations

import bisect
import math
import random
from fractions import Fraction

import numpy as np
import pytest

from tal_pyg.extract.video import TimestampResampler, VideoReader


def reference_indices(times, fps, last_duration=None):
    """Source index shown at each output instant, written from the rule: the frame j with
    t_j <= t0 + k/fps < t_{j+1}; N = floor((t_last + d - t0) * fps), d = last interval."""
    times = [Fraction(t) for t in times]
    d = times[-1] - times[-2] if len(times) > 1 else Fraction(last_duration)
    n = math.floor((times[-1] + d - times[0]) * fps)
    return [bisect.bisect_right(times, times[0] + Fraction(k) / fps) - 1 for k in range(n)]


def run_resampler(times, fps, last_duration=None):
    r = TimestampResampler(fps)
    out = []
    for j, t in enumerate(times):
        out += r.push(t, j)
    out += r.finish(last_duration)
    return out, r


@pytest.mark.parametrize(
    "src_fps, n",
    [(30, 96), (30, 100), (25, 70), (Fraction(30000, 1001), 100), (10, 30), (24, 50), (60, 47)],
)
def test_constant_rate_counts_and_mapping(src_fps, n):
    times = [Fraction(j) / Fraction(src_fps) for j in range(n)]
    out, r = run_resampler(times, 25)
    # N = floor(n / src_fps * 25) output frames; frame k comes from source floor(k * src_fps / 25)
    assert len(out) == math.floor(Fraction(n) / Fraction(src_fps) * 25) == r.num_output
    assert out == [math.floor(Fraction(k) * Fraction(src_fps) / 25) for k in range(len(out))]
    assert r.duration == Fraction(n) / Fraction(src_fps)


def test_irregular_timestamps_match_reference():
    rng = random.Random(0)
    for trial in range(20):
        t, times = Fraction(rng.randint(0, 50), 100), []
        for _ in range(rng.randint(2, 60)):
            times.append(t)
            t += Fraction(rng.randint(1, 90), 1000)
        fps = rng.choice([25, 30, Fraction(30000, 1001)])
        out, r = run_resampler(times, fps)
        assert out == reference_indices(times, fps), trial
        assert r.num_input == len(times) and r.num_dropped == 0


def test_float_timestamps_and_nonzero_start():
    times = [1.5 + j / 30 for j in range(60)]  # float timestamps starting at 1.5 s
    out, _ = run_resampler(times, 25)
    assert len(out) == 50
    assert out == [k * 30 // 25 for k in range(50)]


def test_non_increasing_timestamps_are_dropped():
    times = [0, Fraction(1, 25), Fraction(1, 25), Fraction(1, 50), Fraction(2, 25), Fraction(3, 25)]
    out, r = run_resampler(times, 25)
    assert r.num_dropped == 2
    assert out == [0, 1, 4, 5]  # the kept frames, one output each


def test_single_frame_uses_given_duration():
    out, r = run_resampler([0], 25, last_duration=Fraction(1, 5))
    assert out == [0] * 5 and r.duration == Fraction(1, 5)
    out, _ = run_resampler([0], 25)  # default: one output frame
    assert out == [0]


def test_push_after_finish_is_an_error():
    r = TimestampResampler(25)
    r.finish()
    with pytest.raises(RuntimeError):
        r.push(0, 0)
    with pytest.raises(ValueError):
        TimestampResampler(0)


@pytest.mark.extract
def test_reader_maps_30fps_frames_by_timestamp(tmp_path, video_writer):
    n = 60
    levels = [20 + 3 * j for j in range(n)]  # frame j is uniform gray 20 + 3j
    path = video_writer(tmp_path / "levels30.mkv", n, fps=30, levels=levels, codec="ffv1")
    reader = VideoReader(path, fps=25)
    frames = list(reader)
    assert reader.source_frames == n and reader.source_fps == pytest.approx(30)
    assert reader.num_frames == len(frames) == 50  # floor(60 / 30 * 25)
    assert reader.duration == pytest.approx(2.0, abs=2e-3)  # Matroska stores milliseconds
    assert frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    decoded = np.array([f.mean() for f in frames])
    source = np.array([levels[k * 30 // 25] for k in range(50)])
    assert np.abs(decoded - source).max() < 1.5  # levels are 3 apart: every frame is identified


@pytest.mark.extract
def test_reader_upsamples_slow_video(tmp_path, video_writer):
    path = video_writer(tmp_path / "slow10.mp4", 12, fps=10)
    frames = list(VideoReader(path, fps=25))
    assert len(frames) == 30  # 1.2 s at 25 fps
    # frame k shows source floor(k * 10 / 25): repeats are the same array object
    groups = [k * 10 // 25 for k in range(30)]
    for k in range(1, 30):
        assert (frames[k] is frames[k - 1]) == (groups[k] == groups[k - 1])


@pytest.mark.extract
def test_reader_errors_name_the_file(tmp_path):
    pytest.importorskip("av")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.mp4.*empty"):
        list(VideoReader(empty))
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(ValueError, match="garbage.mp4"):
        list(VideoReader(garbage))
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        list(VideoReader(tmp_path / "missing.mp4"))
