"""Class-wise non-maximum suppression of temporal proposals (hard and soft)."""
from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.typing import ArrayLike

from tal_pyg.evaluation.tiou import segment_tiou


def _as_proposals(proposals: ArrayLike, where: str) -> np.ndarray:
    p = np.asarray(proposals, dtype=np.float64)
    if p.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 4:
        raise ValueError(
            f"{where}: proposals must be a [P, 4] array (class, score, start_s, end_s), got shape {p.shape}"
        )
    return p


def _by_class(p: np.ndarray):
    for c in np.unique(p[:, 0]):
        sub = p[p[:, 0] == c]
        yield sub[np.argsort(-sub[:, 1], kind="stable")]


def class_nms(proposals: ArrayLike, iou_threshold: float, *, length_offset: float = 0.0) -> np.ndarray:
    r"""Greedy non-maximum suppression, separately for every class.

    Proposals of a class are visited by descending score (ties: input order); a proposal is kept
    unless its tIoU (:func:`tal_pyg.evaluation.segment_tiou`) with an already kept one is ``>= iou_threshold``.

    Args:
        proposals: ``[P, 4]`` rows ``(class_index, score, start_s, end_s)``.
        iou_threshold: suppression threshold (BaS-Net 0.7, BaM 0.6, DGAM 0.5).
        length_offset: 0 (plain tIoU) or 1 (the reference code's "+1"), see
            :func:`tal_pyg.evaluation.segment_tiou`.

    Returns:
        ``[P', 4]``: the kept rows, by class (ascending), then descending score.
    """
    p = _as_proposals(proposals, "class_nms")
    kept = []
    for sub in _by_class(p):
        n = len(sub)
        suppressed = np.zeros(n, dtype=bool)
        for i in range(n):
            if suppressed[i]:
                continue
            kept.append(sub[i])
            if i + 1 < n:
                iou = segment_tiou(sub[i, 2], sub[i, 3], sub[i + 1:, 2], sub[i + 1:, 3], length_offset, empty=0.0)
                suppressed[i + 1:] |= iou >= iou_threshold
    return np.asarray(kept, dtype=np.float64).reshape(-1, 4)


def soft_nms(
    proposals: ArrayLike,
    *,
    sigma: float = 0.5,
    method: str = "gaussian",
    iou_threshold: float = 0.3,
    score_threshold: Optional[float] = None,
    length_offset: float = 0.0,
) -> np.ndarray:
    r"""Soft-NMS (Bodla et al., 2017), separately for every class.

    Repeatedly take the remaining proposal with the highest score and decay the others by a factor
    ``f`` of their IoU with it: ``f = exp(-iou^2 / sigma)`` (``"gaussian"``) or ``f = 1 - iou`` when
    ``iou >= iou_threshold`` else 1 (``"linear"``). The decay is applied as
    ``s <- s - (1 - f)|s|`` (equal to ``s * f`` for the usual non-negative scores, and still a penalty for
    the negative outer-inner contrast scores).

    Args:
        proposals: ``[P, 4]`` rows ``(class_index, score, start_s, end_s)``.
        sigma: Gaussian width.
        method: ``"gaussian"`` or ``"linear"``.
        iou_threshold: only for ``"linear"``.
        score_threshold: drop proposals whose decayed score falls below it (``None``: keep all).
        length_offset: 0 (plain tIoU) or 1 (the reference code's "+1"), see
            :func:`tal_pyg.evaluation.segment_tiou`.

    Returns:
        ``[P', 4]`` with decayed scores, by class, then in selection order (descending decayed score).
    """
    if method not in ("gaussian", "linear"):
        raise ValueError(f"soft_nms: method must be 'gaussian' or 'linear', got {method!r}")
    if method == "gaussian" and sigma <= 0:
        raise ValueError(f"soft_nms: sigma must be > 0, got {sigma}")
    p = _as_proposals(proposals, "soft_nms")
    out = []
    for sub in _by_class(p):
        sub = sub.copy()
        remaining = np.arange(len(sub))
        while remaining.size:
            best = remaining[np.argmax(sub[remaining, 1])]  # first maximum: ties in input order
            out.append(sub[best].copy())
            remaining = remaining[remaining != best]
            if not remaining.size:
                break
            iou = segment_tiou(sub[best, 2], sub[best, 3], sub[remaining, 2], sub[remaining, 3], length_offset,
                               empty=0.0)
            if method == "gaussian":
                f = np.exp(-(iou ** 2) / sigma)
            else:
                f = np.where(iou >= iou_threshold, 1.0 - iou, 1.0)
            s = sub[remaining, 1]
            sub[remaining, 1] = s - (1.0 - f) * np.abs(s)
    res = np.asarray(out, dtype=np.float64).reshape(-1, 4)
    if score_threshold is not None:
        res = res[res[:, 1] >= score_threshold]
    return res
