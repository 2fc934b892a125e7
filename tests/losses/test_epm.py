"""epm_loss against the literal edge sum of Eq. 8."""
from __future__ import annotations

import pytest
import torch

from tal_pyg.losses import epm_loss


def reference_sum(x_enhanced, x_original, edge_index, scores):
    """sum over edges j -> i of p_j * ||f'_i - f_j||^2, materialising the E x D differences."""
    src, dst = edge_index
    diff = x_enhanced[dst] - x_original[src].detach()
    return (scores.detach()[src] * (diff * diff).sum(dim=1)).sum()


def make(n=25, d=6, e=120, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    x_enh = torch.randn(n, d, generator=gen, dtype=dtype).requires_grad_()
    x_orig = torch.randn(n, d, generator=gen, dtype=dtype)
    edge_index = torch.randint(0, n, (2, e), generator=gen)
    scores = torch.rand(n, generator=gen, dtype=dtype)
    return x_enh, x_orig, edge_index, scores


@pytest.mark.parametrize("check_values", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_value_and_gradient_match_reference(reduction, check_values, device):
    x_enh, x_orig, edge_index, scores = make()
    x_enh = x_enh.detach().to(device).requires_grad_()
    x_orig, edge_index, scores = x_orig.to(device), edge_index.to(device), scores.to(device)
    # check_values=False (the module path) reads nothing on the host; unsorted edges are sorted on the device
    loss = epm_loss(x_enh, x_orig, edge_index, scores, reduction=reduction, check_values=check_values)
    ref = reference_sum(x_enh, x_orig, edge_index, scores)
    if reduction == "mean":
        ref = ref / (edge_index.size(1) * x_enh.size(1))
    torch.testing.assert_close(loss, ref, rtol=1e-10, atol=1e-12)
    (grad,) = torch.autograd.grad(loss, x_enh)
    (grad_ref,) = torch.autograd.grad(ref, x_enh)
    torch.testing.assert_close(grad, grad_ref, rtol=1e-10, atol=1e-12)
    assert loss.dim() == 0


def test_sum_with_num_graphs_is_paper_form():
    x_enh, x_orig, edge_index, scores = make(seed=1)
    loss = epm_loss(x_enh, x_orig, edge_index, scores, reduction="sum", num_graphs=4)
    torch.testing.assert_close(loss, reference_sum(x_enh, x_orig, edge_index, scores) / 4)


def test_float32_close_to_float64_reference():
    x_enh, x_orig, edge_index, scores = make(n=200, d=64, e=3000, seed=2, dtype=torch.float32)
    x_orig = x_orig + 3.0  # large norms relative to the differences
    loss = epm_loss(x_enh, x_orig, edge_index, scores)
    ref = reference_sum(x_enh.double(), x_orig.double(), edge_index, scores.double()) / (3000 * 64)
    torch.testing.assert_close(loss.double(), ref, rtol=1e-5, atol=0)


def test_zero_when_enhanced_equals_every_neighbour():
    x = torch.ones(5, 3, dtype=torch.float64)
    edge_index = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    loss = epm_loss(x.clone().requires_grad_(), x, edge_index, torch.rand(5, dtype=torch.float64))
    assert float(loss.detach()) == pytest.approx(0.0, abs=1e-14)


def test_scores_and_original_are_detached():
    x_enh, x_orig, edge_index, scores = make(seed=3)
    scores.requires_grad_()
    x_orig.requires_grad_()
    epm_loss(x_enh, x_orig, edge_index, scores).backward()
    assert scores.grad is None and x_orig.grad is None
    assert x_enh.grad is not None and float(x_enh.grad.abs().sum()) > 0


def test_only_edges_count():
    x_enh, x_orig, edge_index, scores = make(seed=4)
    # a node that is neither source nor target does not influence the loss
    isolated = 24
    keep = (edge_index[0] != isolated) & (edge_index[1] != isolated)
    edge_index = edge_index[:, keep]
    loss = epm_loss(x_enh, x_orig, edge_index, scores)
    x_orig2, scores2 = x_orig.clone(), scores.clone()
    x_orig2[isolated] += 100.0
    scores2[isolated] = 1.0
    torch.testing.assert_close(epm_loss(x_enh, x_orig2, edge_index, scores2), loss)
    (grad,) = torch.autograd.grad(loss, x_enh)
    assert float(grad[isolated].abs().sum()) == 0.0


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_zero_edges_gives_zero_tensor_with_grad(reduction):
    x_enh = torch.randn(4, 3, requires_grad=True)
    loss = epm_loss(x_enh, torch.randn(4, 3), torch.empty(2, 0, dtype=torch.long), torch.rand(4),
                    reduction=reduction)
    assert isinstance(loss, torch.Tensor) and loss.dim() == 0 and float(loss.detach()) == 0.0
    assert loss.grad_fn is not None
    loss.backward()
    assert torch.equal(x_enh.grad, torch.zeros(4, 3))


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        ((torch.rand(4, 3), torch.rand(4, 2), torch.zeros(2, 1, dtype=torch.long), torch.rand(4)), {}, "same shape"),
        ((torch.rand(4), torch.rand(4), torch.zeros(2, 1, dtype=torch.long), torch.rand(4)), {}, r"\[N, D\]"),
        ((torch.rand(4, 3), torch.rand(4, 3), torch.zeros(2, 1, dtype=torch.long), torch.rand(3)), {}, "scores"),
        ((torch.rand(4, 3), torch.rand(4, 3), torch.zeros(3, 1, dtype=torch.long), torch.rand(4)), {}, r"\[2, E\]"),
        ((torch.rand(4, 3), torch.rand(4, 3), torch.tensor([[0], [4]]), torch.rand(4)), {}, "lie in"),
        ((torch.rand(4, 3), torch.rand(4, 3), torch.zeros(2, 1, dtype=torch.long), -torch.rand(4) - 1), {},
         "non-negative"),
        ((torch.rand(4, 3), torch.rand(4, 3), torch.zeros(2, 1, dtype=torch.long), torch.rand(4)),
         {"reduction": "none"}, "reduction"),
        ((torch.rand(4, 3), torch.rand(4, 3), torch.zeros(2, 1, dtype=torch.long), torch.rand(4)),
         {"reduction": "sum", "num_graphs": 0}, "num_graphs"),
    ],
)
def test_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        epm_loss(*args, **kwargs)
