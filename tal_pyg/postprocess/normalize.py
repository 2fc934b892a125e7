"""Per-class min-max normalisation of class activation sequences."""
from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.typing import ArrayLike


def minmax_normalize(
    x: ArrayLike,
    axis: int = 0,
    *,
    lower: Optional[ArrayLike] = None,
    upper: Optional[ArrayLike] = None,
    clamp_bounds_at_zero: bool = True,
    clip: bool = True,
) -> np.ndarray:
    r"""Min-max normalise ``x`` along ``axis`` (time), independently for every other index (class).

    .. math::
        \mathrm{lo} = \max(\min_t x_t, 0),\quad \mathrm{hi} = \max(\max_t x_t, 0),\quad
        y_t = \mathrm{clip}\Big(\frac{x_t - \mathrm{lo}}{\mathrm{hi} - \mathrm{lo}}, 0, 1\Big)

    with ``hi - lo <= 0`` replaced by 1 (a constant sequence does not divide by zero). Clamping the
    bounds at zero (``clamp_bounds_at_zero``) is what the BaS-Net and BaM reference code does: for a
    logit sequence with negative values the result is ``x / max(x)``, not a true min-max. ``lower`` /
    ``upper`` replace the computed bounds (broadcast against ``x`` with ``axis`` reduced, e.g. BaM's
    feature magnitudes normalised between the mean background and mean action magnitude); given
    bounds are used as they are (not clamped).

    Args:
        x: ``[T, ...]`` (with ``axis=0``) activations.
        axis: the time axis.
        lower, upper: optional bounds, shape of ``x`` without ``axis`` (or scalars).
        clamp_bounds_at_zero: clamp the computed bounds at 0 (reference-code behaviour).
        clip: clip the result to ``[0, 1]``.

    Returns:
        float64 array of the shape of ``x``.
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        raise ValueError("minmax_normalize: expected an array with a time axis, got a scalar")
    if arr.shape[axis] == 0:
        raise ValueError("minmax_normalize: the time axis is empty")
    lo = _bound(arr, lower, np.min, axis, clamp_bounds_at_zero)
    hi = _bound(arr, upper, np.max, axis, clamp_bounds_at_zero)
    delta = hi - lo
    delta = np.where(delta <= 0, 1.0, delta)
    out = (arr - lo) / delta
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return out


def _bound(arr: np.ndarray, given: Optional[ArrayLike], reduce, axis: int,
           clamp_at_zero: bool) -> "np.ndarray | np.float64":
    """``given`` broadcast against ``arr`` (the time axis re-inserted), else ``reduce`` over time, clamped
    at 0 when asked."""
    if given is not None:
        return (np.expand_dims(np.asarray(given, dtype=np.float64), axis) if np.ndim(given)
                else np.float64(given))  # type: ignore[arg-type]
    bound = reduce(arr, axis=axis, keepdims=True)
    return np.maximum(bound, 0.0) if clamp_at_zero else bound
