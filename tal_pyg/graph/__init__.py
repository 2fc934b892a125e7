"""Graph construction for ACGNet: the action complement graph (paper Eq. 1-4,
docs/method.md#the-action-complement-graph-eq-1-4), its parameters and their defaults
(:mod:`tal_pyg.graph.params`, importable without torch) and sparse adjacency helpers."""
from typing import Any

from tal_pyg.graph.params import DEFAULT_GRAPH, GRAPH_VARIANTS, GraphParams

__all__ = ["DEFAULT_BLOCK_ELEMENTS", "DEFAULT_GRAPH", "GRAPH_VARIANTS", "GraphParams",
           "build_action_complement_graph"]


def __getattr__(name: str) -> Any:
    # the builder imports torch: loaded on first use, so that the configuration (which takes its
    # defaults from tal_pyg.graph.params) loads without torch
    if name in ("DEFAULT_BLOCK_ELEMENTS", "build_action_complement_graph"):
        from tal_pyg.graph import action_complement_graph

        return getattr(action_complement_graph, name)
    raise AttributeError(f"module 'tal_pyg.graph' has no attribute {name!r}")
