"""Linear upsampling of a snippet-level sequence to a finer temporal grid."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def upsample_linear(x: ArrayLike, scale: int, axis: int = 0) -> np.ndarray:
    r"""Upsample ``x`` by an integer factor along ``axis`` with linear interpolation.

    Output step ``u`` (``0 <= u < T * scale``) samples the sequence at position ``p = u / scale``:

    .. math::
        y_u = x_{i} + (p - i)\,(x_{i'+1} - x_{i'}),\qquad i = \lfloor p \rfloor,\ i' = \min(i, T - 2)

    so the last ``scale - 1`` steps (``p > T - 1``) are *extrapolated* along the last segment, as
    ``scipy.interpolate.interp1d(..., fill_value="extrapolate")`` does in the BaS-Net / BaM / DGAM
    reference code. A sequence of one snippet is repeated. Step ``u`` covers
    ``[u, u + 1) * snippet_seconds / scale`` seconds (docs/method.md#snippets-seconds-and-sampling).

    Args:
        x: ``[T, ...]`` (with ``axis=0``).
        scale: integer factor >= 1.
        axis: the time axis.

    Returns:
        float64 array with ``T * scale`` entries along ``axis``.
    """
    if isinstance(scale, bool) or int(scale) != scale or scale < 1:
        raise ValueError(f"upsample_linear: scale must be an integer >= 1, got {scale!r}")
    scale = int(scale)
    arr = np.moveaxis(np.asarray(x, dtype=np.float64), axis, 0)
    t = arr.shape[0]
    if t == 0:
        raise ValueError("upsample_linear: the time axis is empty")
    if scale == 1:
        out = arr.copy()
    elif t == 1:
        out = np.repeat(arr, scale, axis=0)
    else:
        # block i (steps i * scale .. i * scale + scale - 1) starts at x_i with the slope of segment
        # [i, i + 1]; the last block continues the slope of the last segment (extrapolation)
        slopes = np.diff(arr, axis=0)
        slopes = np.concatenate([slopes, slopes[-1:]], axis=0)
        frac = (np.arange(scale, dtype=np.float64) / scale).reshape((1, scale) + (1,) * (arr.ndim - 1))
        out = (arr[:, None] + frac * slopes[:, None]).reshape((t * scale,) + arr.shape[1:])
    return np.moveaxis(out, 0, axis)
