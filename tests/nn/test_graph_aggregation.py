"""GraphAggregation: fused A_hat @ X, never the gather-scatter message path."""
from __future__ import annotations

import pytest
import torch

from tal_pyg.nn import HAS_TORCH_SPARSE, GraphAggregation, sparse_adjacency, sparse_matmul

BACKENDS = ["torch_csr", "torch_sparse", "auto"]


def random_graph(n, e, seed):
    gen = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, n, (2, e), generator=gen)
    return edge_index, torch.rand(e, generator=gen, dtype=torch.float64)


def dense_reference(edge_index, edge_weight, x):
    a = torch.zeros(x.size(0), x.size(0), dtype=x.dtype)
    a.index_put_((edge_index[1], edge_index[0]), edge_weight.to(x.dtype), accumulate=True)
    return a @ x  # row i = target: sum over incoming j of A_ij x_j


@pytest.mark.parametrize("backend", BACKENDS)
def test_matches_dense(backend, monkeypatch):
    if backend == "torch_sparse" and not HAS_TORCH_SPARSE:
        pytest.skip("torch-sparse is not importable")
    edge_index, edge_weight = random_graph(30, 200, seed=1)  # unsorted, with duplicates
    x = torch.rand(30, 7, dtype=torch.float64, requires_grad=True)
    layer = GraphAggregation(backend)

    def forbidden(*args, **kwargs):
        raise AssertionError("gather-scatter message() must not be used")

    monkeypatch.setattr(layer, "message", forbidden)
    out = layer(x, edge_index, edge_weight)
    torch.testing.assert_close(out, dense_reference(edge_index, edge_weight, x))
    out.sum().backward()
    x2 = x.detach().clone().requires_grad_()
    dense_reference(edge_index, edge_weight, x2).sum().backward()
    torch.testing.assert_close(x.grad, x2.grad)


def test_prebuilt_adjacency_and_empty_graph():
    edge_index, edge_weight = random_graph(10, 40, seed=2)
    x = torch.rand(10, 3, dtype=torch.float64)
    adj = sparse_adjacency(edge_index, edge_weight, 10, backend="torch_csr")
    torch.testing.assert_close(GraphAggregation()(x, adj), dense_reference(edge_index, edge_weight, x))
    empty = sparse_adjacency(torch.empty(2, 0, dtype=torch.long), torch.empty(0), 10)
    assert torch.equal(sparse_matmul(empty, x), torch.zeros(10, 3, dtype=torch.float64))


def test_bad_backend():
    with pytest.raises(ValueError, match="sparse_backend"):
        GraphAggregation("scipy")
    with pytest.raises(ValueError, match="backend"):
        sparse_adjacency(torch.zeros(2, 0, dtype=torch.long), None, 3, backend="dense")


def test_backward_reuses_one_transposed_csr():
    edge_index, edge_weight = random_graph(20, 90, seed=3)
    adj = sparse_adjacency(edge_index, edge_weight.float(), 20, backend="torch_csr")
    x = torch.rand(20, 4, requires_grad=True)
    out = sparse_matmul(adj, sparse_matmul(adj, x))  # two layers share the adjacency
    out.sum().backward()
    transposed = adj._tal_pyg_transpose
    torch.testing.assert_close(transposed.to_dense(), adj.to_dense().t())
    expected = dense_reference(edge_index, edge_weight.float(), torch.eye(20)).t()  # A^T A^T 1
    torch.testing.assert_close(x.grad, (expected @ (expected @ torch.ones(20, 4))))


def test_transposed_csr_is_the_dense_transpose_and_cached():
    from tal_pyg.nn.graph_aggregation import sparse_adjacency, transposed_csr

    torch.manual_seed(0)
    ei = torch.randint(0, 7, (2, 20))
    ei = ei[:, torch.argsort(ei[1] * 7 + ei[0])]
    ei = torch.unique(ei, dim=1)
    w = torch.rand(ei.size(1))
    adj = sparse_adjacency(ei, w, 7, backend="torch_csr")
    t = transposed_csr(adj)
    torch.testing.assert_close(t.to_dense(), adj.to_dense().T)
    assert transposed_csr(adj) is t
