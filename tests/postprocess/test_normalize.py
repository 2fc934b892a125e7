import numpy as np
import pytest

from tal_pyg.postprocess import minmax_normalize


def _ref(col, clamp=True):
    lo, hi = min(col), max(col)
    if clamp:
        lo, hi = max(lo, 0.0), max(hi, 0.0)
    d = hi - lo if hi - lo > 0 else 1.0
    return [min(max((v - lo) / d, 0.0), 1.0) for v in col]


def test_matches_loop_reference_per_class():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(37, 5)) + np.array([0, 3, -3, 1, 0.5])
    out = minmax_normalize(x)
    for c in range(5):
        np.testing.assert_allclose(out[:, c], _ref(list(x[:, c])), rtol=0, atol=1e-15)
    out2 = minmax_normalize(x, clamp_bounds_at_zero=False)
    for c in range(5):
        np.testing.assert_allclose(out2[:, c], _ref(list(x[:, c]), clamp=False), atol=1e-15)
        assert out2[:, c].min() == 0.0 and out2[:, c].max() == 1.0


def test_negative_logits_clamped_bounds_give_x_over_max():
    x = np.array([[-2.0], [1.0], [4.0]])
    np.testing.assert_allclose(minmax_normalize(x)[:, 0], [0.0, 0.25, 1.0])


def test_constant_sequence_and_given_bounds():
    x = np.full((4, 2), 0.3)
    np.testing.assert_allclose(minmax_normalize(x, clamp_bounds_at_zero=False), 0.0)
    m = np.array([1.0, 2.0, 3.0, 5.0])
    np.testing.assert_allclose(minmax_normalize(m, lower=2.0, upper=4.0), [0.0, 0.0, 0.5, 1.0])


def test_axis_and_errors():
    x = np.random.default_rng(1).normal(size=(3, 10))
    np.testing.assert_allclose(minmax_normalize(x, axis=1), minmax_normalize(x.T, axis=0).T)
    with pytest.raises(ValueError, match="empty"):
        minmax_normalize(np.zeros((0, 3)))
