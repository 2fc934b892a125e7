import numpy as np
import pytest
from tests._reference.postprocess import oic_ref, runs_ref

from tal_pyg.postprocess import consecutive_runs, outer_inner_scores


@pytest.mark.parametrize("form,ratio,w", [("basnet", 0.25, 1.0), ("basnet", 0.3, 1.0), ("dgam", 0.25, 0.3)])
def test_matches_loop_reference(form, ratio, w):
    rng = np.random.default_rng(1)
    sig = rng.random((6, 60))
    active = sig > 0.4
    rows, starts, ends = consecutive_runs(active)
    got = outer_inner_scores(sig, rows, starts, ends, form=form, margin_ratio=ratio, outer_weight=w)
    exp = [oic_ref(list(sig[r]), s, e, form, ratio, w)
           for r in range(6) for s, e in runs_ref(list(active[r]))]
    np.testing.assert_allclose(got, exp, atol=1e-12)


def test_hand_computed_values():
    sig = np.array([0.0, 0.2, 1.0, 1.0, 1.0, 1.0, 0.4, 0.0, 0.0])
    # run [2, 5], n = 4: BaS-Net margins: left [1, 2) (ceil(1) = 1 step), right [6, 6] (floor(1) = 1 step)
    s = outer_inner_scores(sig, [0], [2], [5], form="basnet")
    assert s[0] == pytest.approx(1.0 - (0.2 + 0.4) / 2)
    # DGAM: m = 4 // 4 + 1 = 2 per side: left {0, 1} mean 0.1, right {6, 7} mean 0.2
    d = outer_inner_scores(sig, [0], [2], [5], form="dgam", outer_weight=0.3)
    assert d[0] == pytest.approx(1.0 - 0.3 * (0.1 + 0.2))
    # a run touching both ends has no outer region
    full = outer_inner_scores(np.ones(5), [0], [0], [4], form="basnet")
    assert full[0] == pytest.approx(1.0)


def test_rejects_out_of_range():
    with pytest.raises(ValueError, match="outside"):
        outer_inner_scores(np.ones(4), [0], [2], [4])
    with pytest.raises(ValueError, match="form"):
        outer_inner_scores(np.ones(4), [0], [0], [1], form="other")
