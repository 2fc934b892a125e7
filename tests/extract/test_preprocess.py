"""Resize, crop and input scaling (tal_pyg/extract/preprocess.py)."""
from __future__ import annotations

import numpy as np
import pytest

from tal_pyg.extract.preprocess import center_crop, flow_to_input, resized_shape, rgb_to_input


def test_resized_shape_keeps_aspect_ratio():
    assert resized_shape(240, 320, 256) == (256, 341)  # THUMOS'14 320x240 -> 341x256
    assert resized_shape(1080, 1920, 256) == (256, 455)
    assert resized_shape(640, 360, 256) == (455, 256)  # portrait
    assert resized_shape(100, 100, 256) == (256, 256)
    with pytest.raises(ValueError):
        resized_shape(0, 10, 256)


@pytest.mark.extract
def test_resize_shorter_side_uses_bilinear_opencv():
    cv2 = pytest.importorskip("cv2")
    from tal_pyg.extract.preprocess import resize_shorter_side

    img = np.random.default_rng(0).integers(0, 256, (30, 50, 3), dtype=np.uint8)
    out = resize_shorter_side(img, 60)
    assert out.shape == (60, 100, 3)
    np.testing.assert_array_equal(out, cv2.resize(img, (100, 60), interpolation=cv2.INTER_LINEAR))
    assert resize_shorter_side(img, 30) is img


def test_center_crop_positions():
    x = np.arange(7 * 9).reshape(7, 9)
    np.testing.assert_array_equal(center_crop(x, 3), x[2:5, 3:6])
    frames = np.arange(2 * 7 * 9 * 3).reshape(2, 7, 9, 3)
    np.testing.assert_array_equal(center_crop(frames, 4), frames[:, 1:5, 2:6, :])
    np.testing.assert_array_equal(center_crop(frames[0], 4), frames[0, 1:5, 2:6, :])
    with pytest.raises(ValueError, match="cannot center-crop 8x8 from a 7x9"):
        center_crop(x, 8)


def test_rgb_scaling_and_layout():
    frames = np.zeros((16, 4, 5, 3), np.uint8)
    frames[..., 0], frames[..., 1], frames[..., 2] = 0, 255, 51
    frames[3, 1, 2, 0] = 128
    x = rgb_to_input(frames)
    assert x.shape == (3, 16, 4, 5) and x.dtype == np.float32
    assert x[0].min() == -1.0 and x[1].max() == 1.0
    assert x[2, 0, 0, 0] == pytest.approx(51 / 127.5 - 1)
    assert x[0, 3, 1, 2] == pytest.approx(128 / 127.5 - 1, abs=1e-6)
    with pytest.raises(ValueError):
        rgb_to_input(frames.astype(np.float32))


def test_flow_clipping_and_scaling():
    flows = np.zeros((16, 2, 3, 2), np.float32)
    flows[0, 0, 0] = (30.0, -45.0)
    flows[1, 1, 2] = (10.0, -5.0)
    x = flow_to_input(flows)
    assert x.shape == (2, 16, 2, 3) and x.dtype == np.float32
    assert (x[0, 0, 0, 0], x[1, 0, 0, 0]) == (1.0, -1.0)  # clipped to +-20 px, then / 20
    assert (x[0, 1, 1, 2], x[1, 1, 1, 2]) == (0.5, -0.25)
    np.testing.assert_allclose(flow_to_input(flows, clip=10.0)[:, 1, 1, 2], [1.0, -0.5])
    with pytest.raises(ValueError):
        flow_to_input(flows, clip=0)
