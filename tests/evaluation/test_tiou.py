"""tIoU and threshold presets."""
from __future__ import annotations

import numpy as np
import pytest

from tal_pyg.evaluation import TIOU_PRESETS, pairwise_tiou, resolve_tiou_thresholds, segment_tiou


def loop_tiou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (b[1] - b[0]) + (a[1] - a[0]) - inter
    return np.inf if union == 0 else inter / union


def test_pairwise_tiou_matches_loops():
    rng = np.random.default_rng(0)
    a = np.sort(rng.integers(0, 10, (20, 2)), axis=1).astype(float)
    b = np.sort(rng.integers(0, 10, (15, 2)), axis=1).astype(float)
    got = pairwise_tiou(a, b)
    want = np.array([[loop_tiou(x, y) for y in b] for x in a])
    np.testing.assert_array_equal(got, want)
    assert pairwise_tiou([[0, 10]], [[5, 15]])[0, 0] == pytest.approx(1 / 3)
    assert pairwise_tiou([[0, 1]], [[1, 2]])[0, 0] == 0.0  # touching
    assert pairwise_tiou([[3, 3]], [[3, 3]])[0, 0] == np.inf  # 0/0, see segment_tiou


def test_segment_tiou_length_offset_and_empty_union():
    """The "+1" length convention of the BaS-Net / BaM nms, and the value of a 0/0 ratio (NMS: 0)."""
    rng = np.random.default_rng(1)
    a = np.sort(rng.uniform(0, 10, (30, 2)), axis=1)
    b = np.sort(rng.uniform(0, 10, (30, 2)), axis=1)
    for o in (0.0, 1.0):
        want = []
        for x, y in zip(a, b):
            inter = max(0.0, min(x[1], y[1]) - max(x[0], y[0]) + o)
            want.append(inter / ((x[1] - x[0] + o) + (y[1] - y[0] + o) - inter))
        got = segment_tiou(a[:, 0], a[:, 1], b[:, 0], b[:, 1], length_offset=o)
        np.testing.assert_allclose(got, want, rtol=1e-15)
    assert segment_tiou(3.0, 3.0, 5.0, 5.0) == np.inf  # two zero-length intervals: 0/0
    assert segment_tiou(3.0, 3.0, 5.0, 5.0, empty=0.0) == 0.0
    assert segment_tiou(3.0, 3.0, 3.0, 3.0, length_offset=1.0) == 1.0  # 1 / (1 + 1 - 1)


def test_presets_are_numpy_values():
    np.testing.assert_array_equal(TIOU_PRESETS["thumos14"], np.linspace(0.1, 0.7, 7))
    np.testing.assert_array_equal(TIOU_PRESETS["thumos14-full"], np.linspace(0.1, 0.9, 9))
    np.testing.assert_array_equal(TIOU_PRESETS["activitynet"], np.linspace(0.5, 0.95, 10))
    t = resolve_tiou_thresholds("thumos14")
    t[0] = 5  # a copy: the preset is not modified
    assert TIOU_PRESETS["thumos14"][0] == 0.1


def test_resolve_tiou_thresholds():
    np.testing.assert_array_equal(resolve_tiou_thresholds(0.5), [0.5])
    np.testing.assert_array_equal(resolve_tiou_thresholds([0.3, 0.7]), [0.3, 0.7])
    for bad in ([], [1.2], [-0.1], [np.nan], "nope", [[0.1, 0.2], [0.3, 0.4]], ["a"]):
        with pytest.raises(ValueError):
            resolve_tiou_thresholds(bad)
