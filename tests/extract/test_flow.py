"""Optical flow methods and their sign convention (tal_pyg/extract/flow.py)."""
from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

pytestmark = pytest.mark.extract

from tal_pyg.extract.flow import FLOW_METHODS, OpticalFlow  # noqa: E402


def shifted_pair(dx: int, dy: int, size: int = 48):
    """A smooth random texture and the same texture moved by (dx, dy) pixels."""
    rng = np.random.default_rng(0)
    big = cv2.GaussianBlur((rng.random((size + 32, size + 32)) * 255).astype(np.uint8), (0, 0), 2)
    big = cv2.normalize(big, None, 0, 255, cv2.NORM_MINMAX)
    prev = big[16 : 16 + size, 16 : 16 + size]
    nxt = big[16 - dy : 16 - dy + size, 16 - dx : 16 - dx + size]  # nxt[y + dy, x + dx] = prev[y, x]
    return np.ascontiguousarray(prev), np.ascontiguousarray(nxt)


@pytest.mark.parametrize("method", FLOW_METHODS)
@pytest.mark.parametrize("dx, dy", [(2, 1), (-1, 3)])
def test_flow_recovers_a_translation(method, dx, dy):
    prev, nxt = shifted_pair(dx, dy)
    flow = OpticalFlow(method)(prev, nxt)
    assert flow.shape == (48, 48, 2) and flow.dtype == np.float32
    inner = flow[8:-8, 8:-8]  # away from the borders, where the motion is ambiguous
    assert np.median(inner[..., 0]) == pytest.approx(dx, abs=0.25)
    assert np.median(inner[..., 1]) == pytest.approx(dy, abs=0.25)


@pytest.mark.parametrize("method", FLOW_METHODS)
def test_identical_frames_have_no_motion(method):
    prev, _ = shifted_pair(0, 0)
    flow = OpticalFlow(method)(prev, prev.copy())
    assert np.abs(flow).max() < 0.2 and np.median(np.abs(flow)) < 1e-3


def test_params_are_recorded_and_errors():
    tvl1 = OpticalFlow("tvl1")
    assert tvl1.params["tau"] == pytest.approx(0.25) and tvl1.params["lambda"] == pytest.approx(0.15)
    assert "opencv_version" in OpticalFlow("dis").params
    with pytest.raises(ValueError, match="unknown optical flow method 'raft'"):
        OpticalFlow("raft")
    with pytest.raises(ValueError, match="grayscale"):
        tvl1(np.zeros((8, 8), np.uint8), np.zeros((8, 9), np.uint8))
