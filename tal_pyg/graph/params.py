r"""The parameters of the action complement graph (paper Eq. 1-4) and their defaults, defined once.

:func:`~tal_pyg.graph.build_action_complement_graph`, :class:`~tal_pyg.transforms.ActionComplementGraph`,
:class:`~tal_pyg.nn.ACGNet` and the experiment configuration (``model.acgnet``,
:class:`~tal_pyg.config.ACGNetConfig`) take their defaults from :data:`DEFAULT_GRAPH`: the paper's
THUMOS'14 values (docs/method.md#the-action-complement-graph-eq-1-4). Pure Python: importing it does not
import torch, so the configuration loads without it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional, Tuple, get_args

__all__ = ["GRAPH_VARIANTS", "GraphVariant", "GraphParams", "DEFAULT_GRAPH"]

#: Graph variants (paper Table 3): ``full`` = G3 :math:`(A^s + \alpha A^t)/2` (the ACG, Eq. 3),
#: ``similarity`` = G1 :math:`A^s`, ``similarity_minus_temporal`` = G2 :math:`A^s - \alpha A^t`,
#: ``temporal_only`` = :math:`A^t` (features only fix the length). Table 3 writes G1 = Gs,
#: G2 = Gs - Gt, G3 = Gs + Gt; only G3 is defined by an equation (Eq. 3, with its 1/2), so G2 is read
#: like G1, without the 1/2: ``(A^s - \alpha A^t)/2`` never exceeds 1/2 < lambda = 0.85 and would have
#: no edge at all, while the paper's G2 column changes with K (docs/departures.md).
GraphVariant = Literal["full", "similarity", "similarity_minus_temporal", "temporal_only"]
GRAPH_VARIANTS: Tuple[str, ...] = get_args(GraphVariant)


@dataclass(frozen=True)
class GraphParams:
    r"""The parameters of one action complement graph.

    Args:
        k: :math:`K` of Eq. 4, at most ``K`` edges into each snippet (top-K of its row of :math:`A`).
        threshold: :math:`\lambda` of Eq. 4, an edge needs :math:`A_{ij} > \lambda`.
        alpha: :math:`\alpha` of Eq. 3, weight of the temporal diffusion graph.
        z: :math:`Z` of Eq. 2, diffusion range (entries with :math:`|i - j| \ge Z` get 1).
        graph: one of :data:`GRAPH_VARIANTS`.
        block_size: rows of the dense matrix computed at once (``None``: derived from
            :data:`~tal_pyg.graph.DEFAULT_BLOCK_ELEMENTS`); the graph does not depend on it.
    """

    k: int = 50
    threshold: float = 0.85
    alpha: float = 1.0
    z: int = 10
    graph: GraphVariant = "full"
    block_size: Optional[int] = None


#: The defaults (the paper's THUMOS'14 values; ActivityNet1.2 and the other hosts set ``k`` in their configs).
DEFAULT_GRAPH = GraphParams()
