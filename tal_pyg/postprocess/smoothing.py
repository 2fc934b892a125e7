"""Gaussian smoothing of sequences along time: one kernel, a numpy smoother and its batched torch twin.

* :func:`gaussian_smooth_1d` (numpy): post-processing (DGAM's thresholding signal) and the temporal
  smoothing of the synthetic benchmark's features;
* :func:`gaussian_smooth_padded` (torch, on the tensors' device): a padded batch of videos, each mirrored
  at its own length (DGAM's training guidance, in the training step).

Both use :func:`gaussian_kernel_1d` and the same mirrored edges (``mode="reflect"``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

if TYPE_CHECKING:  # torch is imported by gaussian_smooth_padded only: the numpy part stays torch-free
    from torch import Tensor


def gaussian_kernel_1d(sigma: float, truncate: float = 4.0, radius: Optional[int] = None) -> np.ndarray:
    r"""Normalised Gaussian weights :math:`w_k \propto \exp(-k^2 / 2\sigma^2)` for ``k = -r..r``, float64.

    ``r = radius``, by default ``int(truncate * sigma + 0.5)`` (SciPy's radius)."""
    if sigma <= 0:
        raise ValueError(f"gaussian_kernel_1d: sigma must be > 0, got {sigma}")
    if radius is None:
        radius = int(truncate * float(sigma) + 0.5)
    if radius < 0:
        raise ValueError(f"gaussian_kernel_1d: radius must be >= 0, got {radius}")
    k = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (k / float(sigma)) ** 2)
    return w / w.sum()


def gaussian_smooth_1d(
    x: ArrayLike,
    sigma: float,
    axis: int = 0,
    truncate: float = 4.0,
    *,
    mode: Literal["reflect", "nearest"] = "reflect",
    radius: Optional[int] = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    r"""Smooth ``x`` along ``axis`` with a Gaussian of standard deviation ``sigma`` (in steps).

    .. math:: y_t = \sum_{k=-r}^{r} w_k\, x_{\mathrm{edge}(t + k)}

    with :math:`w` from :func:`gaussian_kernel_1d` (``truncate``, ``radius``) and the edges extended by

    * ``mode="reflect"``: mirror reflection that repeats the edge value (``d c b a | a b c d | d c b a``),
      repeatedly when ``r`` exceeds the length: the ``mode="reflect"`` of
      ``scipy.ndimage.gaussian_filter1d``, which the DGAM reference code uses;
    * ``mode="nearest"``: the edge value repeated (``a a a a | a b c d | d d d d``).

    The sum runs in ``dtype`` (weights and values cast to it), term by term in the order of ``k``.
    ``sigma = 0`` returns a copy.

    Args:
        x: ``[T, ...]`` (with ``axis=0``).
        sigma: standard deviation in steps (>= 0).
        axis: the time axis.
        truncate: the kernel radius in standard deviations (when ``radius`` is not given).
        mode: ``"reflect"`` or ``"nearest"``.
        radius: the kernel radius in steps (overrides ``truncate``).
        dtype: the floating-point type of the computation and of the result.
    """
    arr = np.asarray(x, dtype=dtype)
    if sigma < 0:
        raise ValueError(f"gaussian_smooth_1d: sigma must be >= 0, got {sigma}")
    if mode not in ("reflect", "nearest"):
        raise ValueError(f"gaussian_smooth_1d: mode must be 'reflect' or 'nearest', got {mode!r}")
    if sigma == 0:
        return arr.copy()
    w = gaussian_kernel_1d(sigma, truncate, radius).astype(arr.dtype)
    radius = (len(w) - 1) // 2
    moved = np.moveaxis(arr, axis, 0)
    t = moved.shape[0]
    if t == 0:
        raise ValueError("gaussian_smooth_1d: the time axis is empty")
    # source index of every position t + k, k in [-r, r]
    idx = np.arange(-radius, t + radius)
    if mode == "reflect":
        period = 2 * t
        m = np.mod(idx, period)
        src = np.where(m < t, m, period - 1 - m)
    else:
        src = np.clip(idx, 0, t - 1)
    padded = moved[src]
    out = w[0] * padded[:t]
    for j in range(1, len(w)):
        out += w[j] * padded[j:j + t]
    return np.moveaxis(out, 0, axis)


def gaussian_smooth_padded(x: "Tensor", lengths: "Tensor", sigma: float, truncate: float = 4.0) -> "Tensor":
    """:func:`gaussian_smooth_1d` (``mode="reflect"``) of ``x`` ``[B, T, K]`` along time, video ``b`` mirrored
    at its own length ``lengths[b]`` (``[B]``), on ``x``'s device; values past a video's length are
    arbitrary. ``sigma <= 0`` returns ``x``."""
    import torch

    if sigma <= 0:
        return x
    # the weights of gaussian_kernel_1d, computed on x's device (no host->device copy per training step)
    r = int(truncate * float(sigma) + 0.5)
    offsets = torch.arange(-r, r + 1, dtype=torch.float64, device=x.device)
    w = torch.exp(-0.5 * (offsets / float(sigma)) ** 2)
    w = (w / w.sum()).to(x.dtype)
    B, T = x.shape[:2]
    pos = torch.arange(T, device=x.device).view(1, T, 1) + torch.arange(-r, r + 1, device=x.device).view(1, 1, -1)
    n = lengths.view(B, 1, 1).to(pos.dtype)
    m = torch.remainder(pos, 2 * n)
    src = torch.where(m < n, m, 2 * n - 1 - m)  # [B, T, 2r + 1]
    gathered = x[torch.arange(B, device=x.device).view(B, 1, 1), src]  # [B, T, 2r + 1, K]
    return (gathered * w.view(1, 1, -1, 1)).sum(dim=2)
