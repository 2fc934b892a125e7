import pytest
import torch

from tal_pyg.models.base import check_positive_ints
from tal_pyg.models.layers import Conv1dTime


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_conv1d_time_matches_the_formula(kernel_size):
    torch.manual_seed(0)
    conv = Conv1dTime(4, 3, kernel_size)
    x = torch.randn(2, 7, 4, dtype=torch.float64)
    conv = conv.double()
    r = kernel_size // 2
    padded = torch.cat([torch.zeros(2, r, 4, dtype=x.dtype), x, torch.zeros(2, r, 4, dtype=x.dtype)], dim=1)
    # y_t = b + sum_j W_j x_{t+j}, W_j = weight[:, :, j + r]
    want = conv.bias + sum(padded[:, j:j + 7] @ conv.weight[:, :, j].T for j in range(kernel_size))
    assert torch.allclose(conv(x), want, atol=1e-12)
    assert Conv1dTime(4, 3, kernel_size, bias=False).bias is None


def test_check_positive_ints():
    class Cfg:
        a, b, c, d = 1, 0, True, 2.0

    check_positive_ints(Cfg(), ["a"])
    for name in ("b", "c", "d"):
        with pytest.raises(ValueError, match=rf"Cfg\.{name} must be a positive int"):
            check_positive_ints(Cfg(), [name])
