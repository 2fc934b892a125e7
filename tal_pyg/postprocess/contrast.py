"""Outer-inner contrast scores of temporal proposals (AutoLoc-style), in the BaS-Net and DGAM forms."""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

SCORE_FORMS = ("basnet", "dgam")


def outer_inner_scores(
    signal: ArrayLike,
    rows: ArrayLike,
    starts: ArrayLike,
    ends: ArrayLike,
    *,
    form: str = "basnet",
    margin_ratio: float = 0.25,
    outer_weight: float = 1.0,
) -> np.ndarray:
    r"""Outer-inner contrast of proposals ``[s, e]`` (inclusive steps) of row ``rows[p]`` of ``signal``.

    With ``n = e - s + 1`` and ``\bar{a}(I)`` the mean of the signal over the steps ``I`` (0 for empty ``I``):

    * ``form="basnet"`` (BaS-Net, BaM reference code):

      .. math::
          \mathrm{score} = \bar{a}([s, e]) - w\,\bar{a}\big([s_o, s) \cup (e, e_o]\big),\quad
          s_o = \max(0, \mathrm{trunc}(s - \lambda n)),\ e_o = \min(L - 1, \mathrm{trunc}(e + \lambda n))

      i.e. one mean over both margins together (left margin ``ceil(lambda n)``, right margin
      ``floor(lambda n)`` steps, the reference code's ``int()`` truncation), ``w = 1``.
    * ``form="dgam"`` (DGAM reference code):

      .. math::
          \mathrm{score} = \bar{a}([s, e]) - w\,\big(\bar{a}([s - m, s)) + \bar{a}((e, e + m])\big),\quad
          m = \lfloor \lambda n \rfloor + 1

      each side clipped to the sequence and contributing 0 when it is empty; ``w = 0.3`` in DGAM.

    Computed from one cumulative sum per row: ``O(R L + P)``.

    Args:
        signal: ``[R, L]`` scores the contrast is measured on (``[L]``: one row).
        rows, starts, ends: ``[P]`` int arrays (e.g. from :func:`consecutive_runs`).
        form: ``"basnet"`` or ``"dgam"``.
        margin_ratio: ``lambda``, the margin length relative to the proposal length.
        outer_weight: ``w``.

    Returns:
        float64 ``[P]``.
    """
    if form not in SCORE_FORMS:
        raise ValueError(f"outer_inner_scores: form must be one of {SCORE_FORMS}, got {form!r}")
    sig = np.asarray(signal, dtype=np.float64)
    if sig.ndim == 1:
        sig = sig[None]
    if sig.ndim != 2:
        raise ValueError(f"outer_inner_scores: signal must be [R, L], got shape {sig.shape}")
    r = np.asarray(rows, dtype=np.int64)
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    if not (r.shape == s.shape == e.shape) or r.ndim != 1:
        raise ValueError("outer_inner_scores: rows, starts and ends must be 1-D arrays of the same length")
    length = sig.shape[1]
    if r.size == 0:
        return np.zeros(0, dtype=np.float64)
    if (s < 0).any() or (e >= length).any() or (e < s).any() or (r < 0).any() or (r >= sig.shape[0]).any():
        raise ValueError("outer_inner_scores: a proposal lies outside the signal or has end < start")
    cs = np.zeros((sig.shape[0], length + 1), dtype=np.float64)
    np.cumsum(sig, axis=1, out=cs[:, 1:])
    return contrast_from_prefix_sums(lambda rr, q: cs[rr, q], r, s, e, length, form=form,
                                     margin_ratio=margin_ratio, outer_weight=outer_weight)


def contrast_from_prefix_sums(
    prefix: Callable[[np.ndarray, np.ndarray], np.ndarray],
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    length: int,
    *,
    form: str = "basnet",
    margin_ratio: float = 0.25,
    outer_weight: float = 1.0,
) -> np.ndarray:
    """:func:`outer_inner_scores` from a prefix-sum oracle: ``prefix(rows, q)`` returns, for each pair,
    the sum of row ``rows`` of the signal over the steps ``[0, q)`` (``0 <= q <= length``). Lets a caller
    score against a signal it never materialises (e.g. one thresholded copy per threshold)."""
    r, s, e = rows, starts, ends
    n = e - s + 1
    inner = (prefix(r, e + 1) - prefix(r, s)) / n
    if form == "basnet":
        left = np.maximum(0, np.trunc(s - margin_ratio * n).astype(np.int64))
        right = np.minimum(length - 1, np.trunc(e + margin_ratio * n).astype(np.int64))  # inclusive
        total = (prefix(r, s) - prefix(r, left)) + (prefix(r, right + 1) - prefix(r, e + 1))
        count = (s - left) + (right - e)
        outer = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        return inner - outer_weight * outer
    if form != "dgam":
        raise ValueError(f"contrast_from_prefix_sums: form must be one of {SCORE_FORMS}, got {form!r}")
    m = np.floor(margin_ratio * n).astype(np.int64) + 1
    left = np.maximum(0, s - m)
    right = np.minimum(length, e + 1 + m)  # exclusive
    nl = s - left
    nr = right - (e + 1)
    left_mean = np.where(nl > 0, (prefix(r, s) - prefix(r, left)) / np.maximum(nl, 1), 0.0)
    right_mean = np.where(nr > 0, (prefix(r, right) - prefix(r, e + 1)) / np.maximum(nr, 1), 0.0)
    return inner - outer_weight * (left_mean + right_mean)
