"""ActionComplementGraph transform: same graph as the builder, PyG batching = padded batch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from tal_pyg.graph import build_action_complement_graph
from tal_pyg.transforms import ActionComplementGraph
from tests._reference.acg import dense_acg, edges_to_dense


def test_transform_matches_reference():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(40, 8, generator=gen, dtype=torch.float64)
    data = ActionComplementGraph(k=6, threshold=0.4, alpha=0.5, z=5)(Data(x=x))
    _, keep_ref, a_hat_ref = dense_acg(x.numpy(), k=6, threshold=0.4, alpha=0.5, z=5)
    keep, dense = edges_to_dense(data.edge_index, data.edge_weight, 40)
    np.testing.assert_array_equal(keep, keep_ref)
    np.testing.assert_allclose(dense, a_hat_ref, rtol=1e-12, atol=1e-12)
    assert data.edge_index.size(1) == data.edge_weight.numel() > 0


def test_pyg_batch_equals_padded_batched_builder():
    gen = torch.Generator().manual_seed(1)
    lengths = [12, 5, 9]
    transform = ActionComplementGraph(k=4, threshold=0.3, z=3)
    videos = [torch.rand(n, 4, generator=gen) for n in lengths]
    batch = Batch.from_data_list([transform(Data(x=v)) for v in videos])
    t_max = max(lengths)
    x = torch.zeros(len(lengths), t_max, 4)
    mask = torch.zeros(len(lengths), t_max, dtype=torch.bool)
    for b, v in enumerate(videos):
        x[b, : len(v)] = v
        mask[b, : len(v)] = True
    ei, ew = build_action_complement_graph(x, mask, k=4, threshold=0.3, z=3)
    # map padded ids b * T + t to PyG's concatenated ids
    padded_to_flat = torch.full((len(lengths) * t_max,), -1, dtype=torch.long)
    padded_to_flat[mask.reshape(-1)] = torch.arange(sum(lengths))
    assert torch.equal(padded_to_flat[ei], batch.edge_index)
    torch.testing.assert_close(ew, batch.edge_weight)


def test_errors_and_repr():
    with pytest.raises(ValueError, match="data.x is missing"):
        ActionComplementGraph()(Data(num_nodes=3))
    with pytest.raises(ValueError, match=r"\[T, D\]"):
        ActionComplementGraph()(Data(x=torch.rand(2, 3, 4)))
    with pytest.raises(ValueError, match="graph must"):
        ActionComplementGraph(graph="g5")
    assert "k=50" in repr(ActionComplementGraph())
