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


def _ref_nearest(x, sigma, r):
    w = [math.exp(-0.5 * (k / sigma) ** 2) for k in range(-r, r + 1)]
    tot = sum(w)
    return [sum(w[k + r] / tot * x[min(max(t + k, 0), len(x) - 1)] for k in range(-r, r + 1))
            for t in range(len(x))]


@pytest.mark.parametrize("t,sigma,radius", [(30, 1.0, 3), (4, 1.3, 4), (12, 0.4, 1)])
def test_nearest_mode_with_a_radius_matches_loop_reference(t, sigma, radius):
    x = np.random.default_rng(t).normal(size=t)
    got = gaussian_smooth_1d(x, sigma, mode="nearest", radius=radius)
    np.testing.assert_allclose(got, _ref_nearest(list(x), sigma, radius), atol=1e-12)


def test_nearest_matches_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = np.random.default_rng(1).normal(size=(40, 3))
    np.testing.assert_allclose(gaussian_smooth_1d(x, 2.0, axis=0, mode="nearest"),
                               ndimage.gaussian_filter1d(x, 2.0, axis=0, mode="nearest"), atol=1e-12)


def test_float32_computation():
    x = np.random.default_rng(2).normal(size=(20, 4)).astype(np.float32)
    got = gaussian_smooth_1d(x, 1.0, axis=0, dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, gaussian_smooth_1d(x, 1.0, axis=0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="mode"):
        gaussian_smooth_1d(x, 1.0, mode="wrap")
