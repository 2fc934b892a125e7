"""Temporal IoU and the tIoU threshold presets of the WTAL benchmarks.

For two intervals :math:`a = [s_a, e_a]` and :math:`b = [s_b, e_b]` in seconds

.. math::
    \\mathrm{tIoU}(a, b) = \\frac{I}{(e_b - s_b) + (e_a - s_a) - I},
    \\qquad I = \\max(0, \\min(e_a, e_b) - \\max(s_a, s_b)).

The union is computed as *sum of lengths minus intersection*, in this order, exactly as the
ActivityNet evaluator does, so that a tIoU lying exactly on a threshold compares the same way.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np

__all__ = ["TIOU_PRESETS", "resolve_tiou_thresholds", "pairwise_tiou", "segment_tiou"]

#: tIoU thresholds of the benchmarks, as numpy produces them (the exact float values matter when a
#: tIoU lies on a threshold): THUMOS'14 0.1:0.1:0.7 (the usual table) and 0.1:0.1:0.9, and
#: ActivityNet 0.5:0.05:0.95 (also the default of the official ActivityNet evaluator).
TIOU_PRESETS: dict[str, np.ndarray] = {
    "thumos14": np.linspace(0.1, 0.7, 7),
    "thumos14-full": np.linspace(0.1, 0.9, 9),
    "activitynet": np.linspace(0.5, 0.95, 10),
}

TIoUSpec = Union[str, float, Sequence[float], np.ndarray]


def resolve_tiou_thresholds(tiou_thresholds: TIoUSpec) -> np.ndarray:
    """Return the thresholds as a 1-D float64 array.

    Args:
        tiou_thresholds: a preset name of :data:`TIOU_PRESETS`, one number or a sequence of numbers
            in ``[0, 1]``. The values are used as given (no rounding).

    Raises:
        ValueError: unknown preset, empty, not finite or outside ``[0, 1]``.
    """
    if isinstance(tiou_thresholds, str):
        try:
            return TIOU_PRESETS[tiou_thresholds].copy()
        except KeyError:
            raise ValueError(
                f"unknown tIoU preset {tiou_thresholds!r}; choose one of {sorted(TIOU_PRESETS)}"
            ) from None
    try:
        t = np.atleast_1d(np.asarray(tiou_thresholds, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"tIoU thresholds must be numbers, got {tiou_thresholds!r}") from None
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"tIoU thresholds must be a non-empty 1-D list, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t > 1):
        raise ValueError(f"tIoU thresholds must lie in [0, 1], got {t.tolist()}")
    return t


def segment_tiou(
    a_start: np.ndarray,
    a_end: np.ndarray,
    b_start: np.ndarray,
    b_end: np.ndarray,
    length_offset: float = 0.0,
    empty: float = np.inf,
) -> np.ndarray:
    r"""Element-wise tIoU of intervals ``a`` and ``b`` (broadcasting arrays of seconds).

    With ``o = length_offset`` (0: the formula of the module docstring; 1: the "+1" length convention
    of the BaS-Net / BaM reference ``nms``, applied to seconds)

    .. math::
        I = \max(0, \min(e_a, e_b) - \max(s_a, s_b) + o),\qquad
        \mathrm{tIoU} = \frac{I}{(e_b - s_b + o) + (e_a - s_a + o) - I}.

    When the union is 0 (two zero-length intervals with ``o = 0``) the ratio is 0/0 and ``empty`` is
    returned: ``+inf`` by default (it clears every threshold and ranks first, which is what the official
    evaluator's NaN does in its comparisons); NMS passes 0 (such a pair never suppresses).
    """
    inter = np.maximum(np.minimum(a_end, b_end) - np.maximum(a_start, b_start) + length_offset, 0.0)
    union = (b_end - b_start + length_offset) + (a_end - a_start + length_offset) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union == 0, empty, inter / union)


def pairwise_tiou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """tIoU of every interval of ``a`` [N, 2] with every interval of ``b`` [M, 2] -> [N, M]."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    return segment_tiou(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1])
