"""Graph construction for ACGNet: the action complement graph (paper Eq. 1-4,
docs/method.md#the-action-complement-graph-eq-1-4) and sparse adjacency helpers."""
from tal_pyg.graph.action_complement_graph import (
    DEFAULT_BLOCK_ELEMENTS,
    GRAPH_VARIANTS,
    build_action_complement_graph,
)

__all__ = ["DEFAULT_BLOCK_ELEMENTS", "GRAPH_VARIANTS", "build_action_complement_graph"]
