"""Grouping of consecutive active steps into runs, for many rows (classes x thresholds) at once."""
from __future__ import annotations

from typing import Tuple

import numpy as np
from numpy.typing import ArrayLike


def consecutive_runs(active: ArrayLike) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Maximal runs of consecutive ``True`` entries in every row of a boolean matrix.

    Vectorised over rows: one ``np.diff`` of the zero-padded ``[R, L + 2]`` matrix marks run starts
    (``0 -> 1``) and run ends (``1 -> 0``); ``np.nonzero`` lists both in row-major order, so the k-th start
    and the k-th end belong to the same run.

    Args:
        active: ``[R, L]`` (or ``[L]``, one row) boolean matrix.

    Returns:
        ``(rows, starts, ends)``: int64 arrays ``[P]``; run ``p`` covers steps ``starts[p]..ends[p]``
        (inclusive) of row ``rows[p]``. Ordered by row, then start.
    """
    a = np.asarray(active, dtype=bool)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2:
        raise ValueError(f"consecutive_runs: expected a [R, L] boolean matrix, got shape {a.shape}")
    r, n = a.shape
    padded = np.zeros((r, n + 2), dtype=np.int8)
    padded[:, 1:-1] = a
    d = np.diff(padded, axis=1)
    rows, starts = np.nonzero(d == 1)
    _, stops = np.nonzero(d == -1)
    return rows.astype(np.int64), starts.astype(np.int64), (stops - 1).astype(np.int64)
