"""Video-level classification mAP (the "cmAP" the WTAL papers report next to detection mAP).

For one class with scores :math:`s_1..s_N` and binary labels :math:`y_1..y_N`, rank the videos by
descending score (ties in input order) and let :math:`P_k` be the precision of the top :math:`k`:

.. math::
    \\mathrm{AP} = \\frac{1}{\\sum_i y_i} \\sum_{k:\\, y_{(k)} = 1} P_k ,
    \\qquad \\mathrm{mAP} = \\frac{1}{|\\mathcal{C}^+|}
    \\sum_{c \\in \\mathcal{C}^+} \\mathrm{AP}_c ,

the non-interpolated average precision of W-TALC's ``getClassificationMAP``, averaged over the
classes :math:`\\mathcal{C}^+` that have at least one positive video.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["average_precision", "classification_map"]


def _as_2d(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # torch.Tensor
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must be [N, C] (or [N]), got shape {a.shape}")
    return a


def average_precision(scores: Any, labels: Any) -> np.ndarray:
    """Non-interpolated AP of each column.

    Args:
        scores: [N, C] (or [N]) real scores, finite.
        labels: same shape, 0/1 (anything > 0 counts as positive).

    Returns:
        [C] float64 AP as a fraction; NaN for a class without positive.
    """
    s = _as_2d(scores, "scores")
    y = _as_2d(labels, "labels") > 0
    if s.shape != y.shape:
        raise ValueError(f"scores {s.shape} and labels {y.shape} differ in shape")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or inf")
    order = np.argsort(-s, axis=0, kind="stable")
    ys = np.take_along_axis(y, order, axis=0)
    tp = np.cumsum(ys, axis=0, dtype=np.float64)
    precision = tp / np.arange(1, s.shape[0] + 1, dtype=np.float64)[:, None]
    npos = ys.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(npos > 0, (precision * ys).sum(axis=0) / npos, np.nan)


def classification_map(scores: Any, labels: Any) -> float:
    """Mean AP over the classes with at least one positive video, as a fraction in ``[0, 1]``.

    Args:
        scores: [N, C] video-level class scores (probabilities or logits; only the order matters).
        labels: [N, C] multi-hot ground truth.

    Raises:
        ValueError: shapes differ, non-finite scores, or no class has a positive.
    """
    ap = average_precision(scores, labels)
    if not np.any(np.isfinite(ap)):
        raise ValueError("classification mAP: no class has a positive video")
    return float(np.nanmean(ap))
