import numpy as np
import pytest
from tests._reference.postprocess import upsample_ref

from tal_pyg.postprocess import upsample_linear


@pytest.mark.parametrize("t,scale", [(1, 5), (2, 3), (13, 24), (40, 20), (7, 1)])
def test_matches_loop_reference(t, scale):
    x = np.random.default_rng(t).normal(size=(t, 3))
    out = upsample_linear(x, scale)
    assert out.shape == (t * scale, 3)
    for c in range(3):
        np.testing.assert_allclose(out[:, c], upsample_ref(x[:, c], scale), rtol=0, atol=1e-12)
    # the samples at integer positions are the input
    np.testing.assert_allclose(out[::scale], x, atol=1e-12)


def test_matches_scipy_interp1d_extrapolate():
    interpolate = pytest.importorskip("scipy.interpolate")
    x = np.random.default_rng(3).normal(size=(25, 4))
    scale = 24
    f = interpolate.interp1d(np.arange(25), x, kind="linear", axis=0, fill_value="extrapolate")
    np.testing.assert_allclose(upsample_linear(x, scale), f(np.arange(25 * scale) / scale), atol=1e-12)


def test_axis_and_bad_scale():
    x = np.random.default_rng(0).normal(size=(2, 6))
    np.testing.assert_allclose(upsample_linear(x, 4, axis=1), upsample_linear(x.T, 4).T)
    for bad in (0, 2.5, -1):
        with pytest.raises(ValueError, match="scale"):
            upsample_linear(x, bad)
