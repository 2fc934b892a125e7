"""Paired seed statistics against printed Student-t tables and a hand-worked interval."""
from __future__ import annotations

import math

import pytest

from tal_pyg.evaluation.paired import mean_std, paired_difference, student_t_quantile

# two-sided 95 % critical values t_{0.975, df} from standard statistical tables
T_TABLE = {1: 12.706, 2: 4.303, 4: 2.776, 5: 2.571, 9: 2.262, 29: 2.045}


@pytest.mark.parametrize("df, value", sorted(T_TABLE.items()))
def test_t_quantile_matches_tables(df, value):
    assert student_t_quantile(0.975, df) == pytest.approx(value, abs=2e-3)


def test_t_quantile_other_level():
    assert student_t_quantile(0.95, 4) == pytest.approx(2.132, abs=2e-3)  # one-sided 95 %, df 4


def test_paired_interval_hand_worked():
    a = [30.0, 25.0, 28.0, 35.0, 27.0]
    b = [27.0, 24.0, 25.0, 30.0, 24.0]
    # d = 3, 1, 3, 5, 3: mean 3, s = sqrt(8/4) = sqrt(2), half width 2.776 * sqrt(2) / sqrt(5)
    r = paired_difference(a, b)
    half = 2.776 * math.sqrt(2) / math.sqrt(5)
    assert r.n == 5 and r.mean == pytest.approx(3.0) and r.std == pytest.approx(math.sqrt(2))
    assert r.low == pytest.approx(3 - half, abs=2e-3) and r.high == pytest.approx(3 + half, abs=2e-3)
    assert r.significant
    assert r.format() == f"+3.0 [{3 - half:+.1f}, {3 + half:+.1f}]"


def test_not_significant_and_one_seed():
    r = paired_difference([1.0, -1.0, 2.0], [0.0, 0.0, 0.0])
    assert r.low < 0 < r.high and not r.significant
    one = paired_difference([2.0], [1.0])
    assert one.low is None and not one.significant and "1 seed" in one.format()


def test_mean_std():
    assert mean_std([1.0, None, 3.0]) == (2.0, pytest.approx(math.sqrt(2)))
    assert mean_std([]) == (None, None)
    assert mean_std([4.0]) == (4.0, 0.0)


def test_bad_input():
    with pytest.raises(ValueError, match="2 treatment vs 3 baseline"):
        paired_difference([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="no pairs"):
        paired_difference([], [])
    with pytest.raises(ValueError, match="p must be"):
        student_t_quantile(0.3, 4)
