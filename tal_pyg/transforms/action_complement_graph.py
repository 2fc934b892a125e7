"""``ActionComplementGraph``: a PyG transform that attaches the ACG of one video to its ``Data``."""
from __future__ import annotations

from typing import Optional

from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from tal_pyg.graph import DEFAULT_GRAPH, GRAPH_VARIANTS, build_action_complement_graph

__all__ = ["ActionComplementGraph"]


class ActionComplementGraph(BaseTransform):
    r"""Build the action complement graph of a video (paper Eq. 1-4;
    decisions in docs/method.md#the-action-complement-graph-eq-1-4).

    Takes a :class:`~torch_geometric.data.Data` whose ``x`` is ``[T, D]`` and sets

    * ``edge_index`` ``[2, E]`` (long): edge ``j -> i``, ``edge_index[0] = j`` (source),
      ``edge_index[1] = i`` (target), sorted by target;
    * ``edge_weight`` ``[E]``: the **row-normalised** weight
      :math:`\hat A_{ij} = A'_{ij} / \sum_{j'} A'_{ij'}` with
      :math:`A = (A^s + \alpha A^t)/2` sparsified by :math:`A_{ij} > \lambda` and top-K per row.

    The arguments (and their defaults, :data:`~tal_pyg.graph.params.DEFAULT_GRAPH`) are those of
    :func:`tal_pyg.graph.build_action_complement_graph`.
    Batching the resulting ``Data`` objects with PyG's ``Batch`` gives the same graph as calling
    the batched builder on the padded batch (node ids then follow PyG's concatenation).

    Example::

        transform = ActionComplementGraph(k=50, threshold=0.85)
        data = transform(Data(x=features))   # features: [T, D]
    """

    def __init__(
        self,
        k: int = DEFAULT_GRAPH.k,
        threshold: float = DEFAULT_GRAPH.threshold,
        alpha: float = DEFAULT_GRAPH.alpha,
        z: int = DEFAULT_GRAPH.z,
        graph: str = DEFAULT_GRAPH.graph,
        block_size: Optional[int] = DEFAULT_GRAPH.block_size,
    ) -> None:
        if graph not in GRAPH_VARIANTS:
            raise ValueError(f"ActionComplementGraph: graph must be one of {GRAPH_VARIANTS}, got {graph!r}")
        self.k, self.threshold, self.alpha, self.z = k, threshold, alpha, z
        self.graph, self.block_size = graph, block_size

    def forward(self, data: Data) -> Data:
        x = getattr(data, "x", None)
        if x is None:
            raise ValueError("ActionComplementGraph: data.x is missing (expected [T, D] snippet features)")
        if x.dim() != 2:
            raise ValueError(f"ActionComplementGraph: data.x must be [T, D], got shape {tuple(x.shape)}")
        data.edge_index, data.edge_weight = build_action_complement_graph(
            x, k=self.k, threshold=self.threshold, alpha=self.alpha, z=self.z, graph=self.graph,
            block_size=self.block_size,
        )
        return data

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(k={self.k}, threshold={self.threshold}, alpha={self.alpha}, "
            f"z={self.z}, graph={self.graph!r})"
        )
