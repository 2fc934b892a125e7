"""Frame preprocessing for two-stream I3D (the Kinetics-I3D test-time recipe).

1. Resize so that the shorter side is ``resize`` pixels (aspect ratio kept, bilinear), default 256.
2. Optical flow is computed on the grayscale resized frames (before cropping, so the crop border
   does not affect the flow).
3. Center crop ``crop × crop`` pixels (default 224) of both the RGB frame and the flow field.
4. RGB: ``x / 127.5 - 1`` maps ``[0, 255]`` to ``[-1, 1]``.
   Flow: clipped to ``[-clip, clip]`` pixels (default 20) and divided by ``clip``, i.e. ``[-1, 1]``.

All functions are numpy; OpenCV is imported lazily for resizing and color conversion.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from tal_pyg.extract.flow import import_cv2


def resized_shape(height: int, width: int, shorter_side: int) -> Tuple[int, int]:
    """``(new_height, new_width)``: shorter side = ``shorter_side``, long side scaled, rounded."""
    if height <= 0 or width <= 0:
        raise ValueError(f"frame size must be positive, got {height}x{width}")
    scale = shorter_side / min(height, width)
    return (
        shorter_side if height <= width else max(int(round(height * scale)), shorter_side),
        shorter_side if width < height else max(int(round(width * scale)), shorter_side),
    )


def resize_shorter_side(frame: np.ndarray, shorter_side: int) -> np.ndarray:
    """Bilinear resize of an ``[H, W, C]`` or ``[H, W]`` image to ``min(H, W) == shorter_side``."""
    cv2 = import_cv2()
    h, w = frame.shape[:2]
    nh, nw = resized_shape(h, w, shorter_side)
    if (nh, nw) == (h, w):
        return frame
    return cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)


def to_gray(frame: np.ndarray) -> np.ndarray:
    """RGB ``uint8 [H, W, 3]`` to grayscale ``uint8 [H, W]`` (ITU-R BT.601 weights, as OpenCV)."""
    return import_cv2().cvtColor(frame, import_cv2().COLOR_RGB2GRAY)


def center_crop(x: np.ndarray, size: int) -> np.ndarray:
    """Center ``size × size`` crop of an array whose axes ``-3, -2`` (or ``0, 1``) are ``H, W``.

    Works on ``[H, W]``, ``[H, W, C]`` and ``[N, H, W, C]``: the spatial axes are the two before
    the channel axis when ``x.ndim >= 3``.
    """
    h_axis = 0 if x.ndim == 2 else x.ndim - 3
    h, w = x.shape[h_axis], x.shape[h_axis + 1]
    if h < size or w < size:
        raise ValueError(f"cannot center-crop {size}x{size} from a {h}x{w} frame")
    top, left = (h - size) // 2, (w - size) // 2
    index = [slice(None)] * x.ndim
    index[h_axis] = slice(top, top + size)
    index[h_axis + 1] = slice(left, left + size)
    return x[tuple(index)]


def rgb_to_input(frames: np.ndarray) -> np.ndarray:
    """``uint8 [T, H, W, 3]`` -> ``float32 [3, T, H, W]`` in ``[-1, 1]`` (``x / 127.5 - 1``)."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(
            f"expected uint8 RGB frames [T, H, W, 3], got {frames.dtype} {frames.shape}"
        )
    return (frames.transpose(3, 0, 1, 2).astype(np.float32) / np.float32(127.5)) - np.float32(1.0)


def flow_to_input(flows: np.ndarray, clip: float = 20.0) -> np.ndarray:
    """``float [T, H, W, 2]`` px -> ``float32 [2, T, H, W]``: ``clip(f, -clip, clip) / clip``."""
    if flows.ndim != 4 or flows.shape[-1] != 2:
        raise ValueError(f"expected flow fields [T, H, W, 2], got {flows.shape}")
    if clip <= 0:
        raise ValueError(f"flow clip must be positive, got {clip}")
    out = np.clip(flows.transpose(3, 0, 1, 2).astype(np.float32), -clip, clip)
    return out / np.float32(clip)
