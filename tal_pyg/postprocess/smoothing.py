"""Gaussian smoothing of a sequence (numpy, no SciPy needed)."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def gaussian_kernel_1d(sigma: float, truncate: float = 4.0) -> np.ndarray:
    r"""Normalised Gaussian weights :math:`w_k \propto \exp(-k^2 / 2\sigma^2)` for
    ``k = -r..r`` with ``r = int(truncate * sigma + 0.5)`` (SciPy's radius)."""
    if sigma <= 0:
        raise ValueError(f"gaussian_kernel_1d: sigma must be > 0, got {sigma}")
    radius = int(truncate * float(sigma) + 0.5)
    k = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (k / float(sigma)) ** 2)
    return w / w.sum()


def gaussian_smooth_1d(x: ArrayLike, sigma: float, axis: int = 0, truncate: float = 4.0) -> np.ndarray:
    r"""Smooth ``x`` along ``axis`` with a Gaussian of standard deviation ``sigma`` (in steps).

    .. math:: y_t = \sum_{k=-r}^{r} w_k\, x_{\mathrm{refl}(t + k)}

    with the edges extended by mirror reflection that repeats the edge value (``d c b a | a b c d |
    d c b a``), repeatedly when ``r`` exceeds the length: the ``mode="reflect"`` of
    ``scipy.ndimage.gaussian_filter1d``, which the DGAM reference code uses. ``sigma = 0`` returns a copy.

    Args:
        x: ``[T, ...]`` (with ``axis=0``).
        sigma: standard deviation in steps (>= 0).
        axis: the time axis.
        truncate: the kernel radius in standard deviations.
    """
    arr = np.asarray(x, dtype=np.float64)
    if sigma < 0:
        raise ValueError(f"gaussian_smooth_1d: sigma must be >= 0, got {sigma}")
    if sigma == 0:
        return arr.copy()
    w = gaussian_kernel_1d(sigma, truncate)
    radius = (len(w) - 1) // 2
    moved = np.moveaxis(arr, axis, 0)
    t = moved.shape[0]
    if t == 0:
        raise ValueError("gaussian_smooth_1d: the time axis is empty")
    # reflected source index of every position t + k, k in [-r, r]
    idx = np.arange(-radius, t + radius)
    period = 2 * t
    m = np.mod(idx, period)
    src = np.where(m < t, m, period - 1 - m)
    padded = moved[src]
    out = np.zeros_like(moved)
    for j, wj in enumerate(w):
        out += wj * padded[j:j + t]
    return np.moveaxis(out, 0, axis)
