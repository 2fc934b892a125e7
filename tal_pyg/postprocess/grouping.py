"""Grouping of consecutive active steps into runs, for many rows (classes x thresholds) at once."""
from __future__ import annotations

from typing import Tuple

import numpy as np
from numpy.typing import ArrayLike


def consecutive_runs(active: ArrayLike) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Maximal runs of consecutive ``True`` entries in every row of a boolean matrix.

    Vectorised over rows: one comparison of neighbouring steps (the rows padded with ``False``) marks every
    switch; ``np.nonzero`` lists them in row-major order, where they alternate run start, run stop.

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
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    # change[:, j] marks a switch between steps j - 1 and j (the sequence padded with False on both
    # sides): in every row the switches alternate start, stop, start, stop, ...
    change = np.empty((r, n + 1), dtype=bool)
    change[:, 0] = a[:, 0]
    change[:, n] = a[:, n - 1]
    np.not_equal(a[:, 1:], a[:, :-1], out=change[:, 1:n])
    rows, cols = np.nonzero(change)
    return rows[0::2].astype(np.int64), cols[0::2].astype(np.int64), (cols[1::2] - 1).astype(np.int64)
