"""ACGNet against a dense T x T reference of Eq. 5-7 built from tests/_reference/acg.py."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import tal_pyg
from tal_pyg.graph import build_action_complement_graph
from tal_pyg.nn import HAS_TORCH_SPARSE, ACGNet
from tests._reference.acg import dense_acg

GRAPH = dict(k=5, threshold=0.3, z=3)


def reference_acgnet(model: ACGNet, x: np.ndarray, lengths=None) -> np.ndarray:
    """F' = F + A_hat F + ReLU(A_hat ... ReLU(A_hat F W1) ... WM), one dense A_hat per video."""
    b, t, d = x.shape
    lengths = lengths or [t] * b
    weights = [lin.weight.detach().double().numpy().T for lin in model.weights]  # F W, W in R^{DxD}
    out = []
    for v in range(b):
        n = lengths[v]
        f = x[v].astype(np.float64)
        a_hat = np.zeros((t, t))
        if n > 0:
            a_hat[:n, :n] = dense_acg(
                x[v, :n].astype(np.float64), k=model.k, threshold=model.threshold,
                alpha=model.alpha, z=model.z, graph=model.graph,
            )[2]
        parts = [f]
        f_avg = a_hat @ f
        if model.use_avg:
            parts.append(f_avg)
        if model.use_gcn:
            h = f
            for w in weights:
                h = np.maximum(a_hat @ h @ w, 0.0)
            parts.append(h)
        out.append(np.concatenate(parts, axis=1) if model.fusion == "concat" else sum(parts))
    return np.stack(out)


def clustered(b, t, d, seed):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.rand(3, d, generator=gen)
    x = centres[torch.randint(0, 3, (b, t), generator=gen)] + 0.2 * torch.rand(b, t, d, generator=gen)
    return x.double()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"use_avg": False},
        {"use_gcn": False},
        {"use_avg": False, "use_gcn": False},
        {"fusion": "concat"},
        {"num_layers": 1},
        {"num_layers": 3, "graph": "similarity_minus_temporal"},
        {"graph": "similarity"},
        {"graph": "temporal_only", "threshold": 0.85},
        {"k": 100, "threshold": -1.0},
    ],
)
def test_forward_batch_matches_reference(options):
    torch.manual_seed(0)
    kwargs = {**GRAPH, **options}
    model = ACGNet(6, **kwargs).double()
    x = clustered(2, 21, 6, seed=1)
    out, edge_index, edge_weight = model.forward_batch(x)
    expected = reference_acgnet(model, x.numpy())
    assert out.shape == (2, 21, model.out_channels) and edge_index.size(1) > 0
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-10)
    # forward on flat node features gives the very same numbers
    flat = model(x.reshape(-1, 6), edge_index, edge_weight)
    assert torch.equal(flat.view_as(out), out)


@pytest.mark.parametrize("t", [1, 3])
def test_short_and_adversarial_inputs(t):
    torch.manual_seed(1)
    model = ACGNet(4, k=50, threshold=0.4, z=2).double()
    for x in (torch.rand(2, t, 4).double(), torch.zeros(2, t, 4).double(), torch.full((2, t, 4), 2.0).double()):
        out, _, _ = model.forward_batch(x)
        np.testing.assert_allclose(out.detach().numpy(), reference_acgnet(model, x.numpy()), atol=1e-12)


def test_float32_paper_defaults_match_reference():
    torch.manual_seed(2)
    model = ACGNet(32, k=8)
    x = clustered(2, 60, 32, seed=2).float()
    out, edge_index, _ = model.forward_batch(x)
    assert edge_index.size(1) > 0
    np.testing.assert_allclose(out.detach().numpy(), reference_acgnet(model, x.numpy()), rtol=1e-4, atol=1e-4)


def test_padding_never_sends_or_receives_and_batched_equals_per_video():
    torch.manual_seed(3)
    model = ACGNet(5, **GRAPH).double()
    lengths = [16, 9, 1]
    x = clustered(3, 16, 5, seed=3)
    mask = torch.arange(16)[None, :] < torch.tensor(lengths)[:, None]
    out, edge_index, _ = model.forward_batch(x, mask)
    x_changed = x.clone()
    x_changed[~mask] = 50.0
    out_changed, edge_index_changed, _ = model.forward_batch(x_changed, mask)
    assert torch.equal(edge_index, edge_index_changed)
    torch.testing.assert_close(out[mask], out_changed[mask], rtol=0, atol=1e-12)
    torch.testing.assert_close(out_changed[~mask], x_changed[~mask])  # padded: F + 0 + ReLU(0)
    np.testing.assert_allclose(
        out[mask].detach().numpy(),
        reference_acgnet(model, x.numpy(), lengths)[mask.numpy()],
        rtol=1e-10, atol=1e-10,
    )
    for v, n in enumerate(lengths):
        single, _, _ = model.forward_batch(x[v:v + 1, :n])
        torch.testing.assert_close(single[0], out[v, :n], rtol=1e-12, atol=1e-12)


def test_gradients_reach_both_gcn_weights_and_input():
    torch.manual_seed(4)
    model = ACGNet(8, **GRAPH)
    x = clustered(2, 20, 8, seed=4).float().requires_grad_()
    out, _, _ = model.forward_batch(x)
    out.pow(2).sum().backward()
    for lin in model.weights:
        assert lin.weight.grad is not None and float(lin.weight.grad.abs().sum()) > 0
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_gradcheck_through_sparse_aggregation():
    torch.manual_seed(5)
    model = ACGNet(3, **GRAPH).double()
    x = clustered(1, 12, 3, seed=5)[0]
    edge_index, edge_weight = build_action_complement_graph(x, **GRAPH)
    x = x.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda inp: model(inp, edge_index, edge_weight.double()), (x,))


def test_glorot_init_and_reset_parameters():
    torch.manual_seed(6)
    model = ACGNet(64)
    bound = math.sqrt(6.0 / (64 + 64))
    before = [lin.weight.detach().clone() for lin in model.weights]
    for w in before:
        assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.5 * bound
        assert float(w.std()) > 0.5 * bound / math.sqrt(3)
    model.reset_parameters()
    assert not torch.equal(before[0], model.weights[0].weight)
    assert all(lin.bias is None for lin in model.weights)


def test_parameter_count_for_d_2048():
    """Two 2048 x 2048 layers without bias: 2 * 2048 * 2048 = 8,388,608 = +8.39 M (paper: 26.3 M -> 34.6 M)."""
    model = ACGNet(2048)
    count = sum(p.numel() for p in model.parameters())
    assert count == 2 * 2048 * 2048 == 8_388_608
    assert round(count / 1e6, 2) == 8.39


def test_out_channels():
    assert ACGNet(7).out_channels == 7
    assert ACGNet(7, fusion="concat").out_channels == 21
    assert ACGNet(7, fusion="concat", use_avg=False).out_channels == 14


@pytest.mark.parametrize("fusion", ["sum", "concat"])
@pytest.mark.parametrize("use_avg", [True, False])
@pytest.mark.parametrize("use_gcn", [True, False])
def test_output_channels_without_a_module(fusion, use_avg, use_gcn):
    kwargs = dict(fusion=fusion, use_avg=use_avg, use_gcn=use_gcn)
    model = ACGNet(7, **kwargs)
    assert ACGNet.output_channels(7, **kwargs) == model.out_channels
    assert model.forward_batch(torch.rand(1, 9, 7)).x.shape[-1] == model.out_channels
    with pytest.raises(ValueError, match="fusion"):
        ACGNet.output_channels(7, fusion="mean")


def test_forward_batch_returns_a_named_tuple_and_forward_dense_is_a_deprecated_alias():
    torch.manual_seed(10)
    model = ACGNet(6, **GRAPH).double()
    x = clustered(2, 21, 6, seed=10)
    out = model.forward_batch(x)
    assert out._fields == ("x", "edge_index", "edge_weight")
    edge_index, edge_weight = build_action_complement_graph(x, **GRAPH)
    assert torch.equal(out.edge_index, edge_index) and torch.equal(out.edge_weight, edge_weight)
    assert out.x.shape == (2, 21, 6)
    with pytest.warns(DeprecationWarning, match="forward_batch"):
        old = model.forward_dense(x)
    for a, b in zip(old, out):
        assert torch.equal(a, b)


def test_missing_edge_weight_means_uniform_row_normalised_weights():
    """Without edge_weight, A_hat_ij = 1 / deg_in(i) on every edge j -> i: Eq. 5-7 on the
    row-normalised unweighted adjacency (dense reference)."""
    torch.manual_seed(11)
    model = ACGNet(5, **GRAPH).double()
    n = 13
    x = torch.rand(n, 5, dtype=torch.float64)
    gen = torch.Generator().manual_seed(11)
    edge_index = torch.randint(0, n, (2, 40), generator=gen)
    edge_index = edge_index[:, edge_index[1] != 7]  # node 7 has no incoming edge: its row stays zero
    adjacency = np.zeros((n, n))
    np.add.at(adjacency, (edge_index[1].numpy(), edge_index[0].numpy()), 1.0)  # duplicates count twice
    degree = adjacency.sum(axis=1, keepdims=True)
    a_hat = np.divide(adjacency, degree, out=np.zeros_like(adjacency), where=degree > 0)
    f = x.numpy()
    h = f
    for lin in model.weights:
        h = np.maximum(a_hat @ h @ lin.weight.detach().numpy().T, 0.0)
    expected = f + a_hat @ f + h
    np.testing.assert_allclose(model(x, edge_index).detach().numpy(), expected, rtol=1e-10, atol=1e-10)
    assert np.allclose(a_hat[degree[:, 0] > 0].sum(axis=1), 1.0) and not a_hat[7].any()


@pytest.mark.parametrize("backend", ["torch_csr", "torch_sparse"])
def test_sparse_backends_agree(backend):
    if backend == "torch_sparse" and not HAS_TORCH_SPARSE:
        pytest.skip("torch-sparse is not importable")
    torch.manual_seed(7)
    model = ACGNet(6, sparse_backend=backend, **GRAPH).double()
    x = clustered(2, 18, 6, seed=7)
    out, _, _ = model.forward_batch(x)
    np.testing.assert_allclose(out.detach().numpy(), reference_acgnet(model, x.numpy()), rtol=1e-10, atol=1e-10)


def test_unsorted_edges_give_same_result():
    torch.manual_seed(8)
    model = ACGNet(4, **GRAPH).double()
    x = clustered(1, 15, 4, seed=8)[0]
    edge_index, edge_weight = build_action_complement_graph(x, **GRAPH)
    perm = torch.randperm(edge_index.size(1))
    torch.testing.assert_close(
        model(x, edge_index[:, perm], edge_weight[perm]), model(x, edge_index, edge_weight)
    )


def test_no_edges_gives_identity_plus_zero_branches():
    model = ACGNet(4)
    x = torch.rand(6, 4)
    out = model(x, torch.empty(2, 0, dtype=torch.long), torch.empty(0))
    torch.testing.assert_close(out, x)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda m: m(torch.rand(2, 3, 4), torch.zeros(2, 0, dtype=torch.long), torch.zeros(0)), "shape"),
        (lambda m: m.forward_batch(torch.rand(3, 4)), r"\[B, T, D\]"),
        (lambda m: m.forward_batch(torch.rand(1, 3, 5)), "channels"),
        (lambda m: m.forward_batch(torch.full((1, 3, 4), float("nan"))), "NaN or inf"),
        (lambda m: m(torch.full((3, 4), float("inf")), torch.zeros(2, 0, dtype=torch.long), torch.zeros(0)),
         "NaN or inf"),
        (lambda m: m(torch.rand(3, 4), torch.tensor([[0], [3]]), torch.ones(1)), "values must lie"),
        (lambda m: m(torch.rand(3, 4), torch.tensor([[0], [1]]), torch.ones(2)), "edge_weight"),
        (lambda m: m(torch.rand(3, 4), torch.tensor([[0], [3]]), None), "values must lie"),
        (lambda m: m(torch.rand(3, 4), torch.tensor([[-1], [0]])), "values must lie"),
        (lambda m: m(torch.rand(3, 4), torch.tensor([0, 1]), torch.ones(1)), r"\[2, E\]"),
    ],
)
def test_errors(call, match):
    # value checks (NaN/inf, index range) run in debug mode; shape checks always
    with tal_pyg.debug(), pytest.raises(ValueError, match=match):
        call(ACGNet(4))


def test_value_checks_only_in_debug_mode():
    model = ACGNet(4)
    bad_index = (torch.rand(3, 4), torch.tensor([[0], [1]]), torch.ones(1))
    nan_x = torch.full((1, 3, 4), float("nan"))
    assert not tal_pyg.is_debug_enabled()
    model.forward_batch(nan_x)  # no host read outside debug mode: no check
    model(*bad_index)
    with tal_pyg.set_debug(True):
        with pytest.raises(ValueError, match="NaN or inf"):
            model.forward_batch(nan_x)
    assert not tal_pyg.is_debug_enabled()  # restored by the context manager
    with pytest.raises(ValueError, match="channels"):  # shapes are checked always
        model.forward_batch(torch.rand(1, 3, 5))


@pytest.mark.parametrize(
    "kwargs", [{"fusion": "mean"}, {"num_layers": 0}, {"graph": "g4"}, {"k": 0}, {"in_channels": 0}]
)
def test_constructor_errors(kwargs):
    with pytest.raises(ValueError):
        ACGNet(**{"in_channels": 4, **kwargs})


def test_all_finite_helper():
    from tal_pyg.debug import all_finite

    assert all_finite(torch.empty(0))
    assert all_finite(torch.full((4,), 3e38))  # the sum overflows, the values are finite
    assert not all_finite(torch.tensor([1.0, float("nan")]))
    assert not all_finite(torch.tensor([float("inf"), -float("inf")]))
    assert not all_finite(torch.tensor([3e38, 3e38, float("inf")]))


def test_float32_edge_weights_with_float64_features():
    torch.manual_seed(9)
    model = ACGNet(4, **GRAPH).double()
    x = clustered(1, 14, 4, seed=9)[0]
    edge_index, edge_weight = build_action_complement_graph(x, **GRAPH)
    out32 = model(x, edge_index, edge_weight.float())
    out64 = model(x, edge_index, edge_weight)
    assert out32.dtype == torch.float64
    torch.testing.assert_close(out32, out64, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("options", [{}, {"fusion": "concat"}, {"graph": "similarity"}])
def test_forward_batch_on_device_matches_reference(options, device):
    torch.manual_seed(0)
    model = ACGNet(6, **{**GRAPH, **options}).double()
    x = clustered(2, 21, 6, seed=1)
    mask = torch.ones(2, 21, dtype=torch.bool)
    mask[1, 15:] = False
    expected = reference_acgnet(model, x.numpy(), [21, 15])
    moved = ACGNet(6, **{**GRAPH, **options}).double().to(device)
    moved.load_state_dict(model.state_dict())
    xd = x.detach().clone().to(device).requires_grad_()
    out, edge_index, edge_weight = moved.forward_batch(xd, mask.to(device))
    np.testing.assert_allclose(out.detach().cpu().numpy()[mask.numpy()], expected[mask.numpy()],
                               rtol=1e-10, atol=1e-10)
    out.pow(2).sum().backward()  # the backward pass of the sparse aggregation on the device
    x_cpu = x.detach().clone().requires_grad_()
    model.forward_batch(x_cpu, mask)[0].pow(2).sum().backward()
    torch.testing.assert_close(xd.grad.cpu(), x_cpu.grad, rtol=1e-9, atol=1e-10)
    for lin, lin_d in zip(model.weights, moved.weights):
        torch.testing.assert_close(lin_d.weight.grad.cpu(), lin.weight.grad, rtol=1e-9, atol=1e-10)
