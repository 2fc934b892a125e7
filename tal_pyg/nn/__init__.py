"""Neural network modules: ACGNet and its fused sparse aggregation layer."""
from tal_pyg.nn.acgnet import FUSIONS, ACGNet
from tal_pyg.nn.graph_aggregation import (
    HAS_TORCH_SPARSE,
    SPARSE_BACKENDS,
    GraphAggregation,
    sparse_adjacency,
    sparse_matmul,
)

__all__ = [
    "ACGNet",
    "FUSIONS",
    "GraphAggregation",
    "HAS_TORCH_SPARSE",
    "SPARSE_BACKENDS",
    "sparse_adjacency",
    "sparse_matmul",
]
