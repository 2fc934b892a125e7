import math

import numpy as np
import pytest

from tal_pyg.postprocess import gaussian_smooth_1d


def _reflect(i, n):
    while i < 0 or i >= n:
        i = -i - 1 if i < 0 else 2 * n - i - 1
    return i


def _ref(x, sigma):
    r = int(4.0 * sigma + 0.5)
    w = [math.exp(-0.5 * (k / sigma) ** 2) for k in range(-r, r + 1)]
    tot = sum(w)
    return [sum(w[k + r] / tot * x[_reflect(t + k, len(x))] for k in range(-r, r + 1)) for t in range(len(x))]


@pytest.mark.parametrize("t,sigma", [(30, 1.0), (5, 3.0), (12, 25.0)])
def test_matches_loop_reference(t, sigma):
    x = np.random.default_rng(t).normal(size=t)
    np.testing.assert_allclose(gaussian_smooth_1d(x, sigma), _ref(list(x), sigma), atol=1e-12)


def test_matches_scipy_reflect():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = np.random.default_rng(0).normal(size=(40, 3))
    for sigma in (1.0, 2.5, 25.0):
        np.testing.assert_allclose(gaussian_smooth_1d(x, sigma, axis=0),
                                   ndimage.gaussian_filter1d(x, sigma, axis=0, mode="reflect"), atol=1e-12)


def test_zero_sigma_is_identity():
    x = np.arange(5.0)
    np.testing.assert_array_equal(gaussian_smooth_1d(x, 0.0), x)
