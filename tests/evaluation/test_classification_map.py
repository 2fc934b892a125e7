"""Video-level classification mAP against a loop reference of the formula."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tal_pyg.evaluation import average_precision, classification_map


def loop_ap(scores, labels):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])  # stable
    hits, total = 0, 0.0
    for rank, i in enumerate(order, 1):
        if labels[i]:
            hits += 1
            total += hits / rank
    return total / hits if hits else float("nan")


def test_average_precision_matches_loops():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n, c = rng.integers(1, 30), rng.integers(1, 6)
        s = rng.choice([0.1, 0.5, 0.9, rng.random()], size=(n, c))  # ties included
        y = (rng.random((n, c)) < 0.3).astype(float)
        want = np.array([loop_ap(s[:, j].tolist(), y[:, j].tolist()) for j in range(c)])
        np.testing.assert_allclose(average_precision(s, y), want, rtol=0, atol=1e-12)
        if np.isfinite(want).any():
            assert classification_map(s, y) == pytest.approx(np.nanmean(want), abs=1e-12)


def test_hand_worked_and_edge_cases():
    # ranked: pos, neg, pos -> (1/1 + 2/3) / 2
    assert classification_map([0.9, 0.5, 0.1], [1, 0, 1]) == pytest.approx((1 + 2 / 3) / 2)
    # the class without positives is left out of the mean
    s = np.array([[0.9, 0.2], [0.1, 0.8]])
    y = np.array([[1, 0], [0, 0]])
    assert classification_map(s, y) == 1.0
    assert classification_map(torch.tensor(s), torch.tensor(y)) == 1.0
    with pytest.raises(ValueError, match="no class has a positive"):
        classification_map(s, np.zeros_like(y))
    with pytest.raises(ValueError, match="differ in shape"):
        classification_map(s, y[:, :1])
    with pytest.raises(ValueError, match="NaN"):
        classification_map([[np.nan]], [[1]])
