r"""Easy positive mining (EPM) loss of ACGNet (AAAI 2022, Eq. 8).

.. math::

    \mathcal{L}_{EPM} = \sum_{(j \to i) \in \mathcal{E}} p_j\, \| f'_i - f_j \|^2

over the edges of the action complement graph only (``edge_index[0] = j``, ``edge_index[1] = i``),
with :math:`f'` the enhanced features (ACGNet output), :math:`f` the original features (a constant)
and :math:`p_j` the highest action-class probability of snippet ``j`` (detached: lowering the scores
must not be a way to lower the loss).

Computation: for each target ``i`` with :math:`w_i = \sum_{j \to i} p_j` and the weighted neighbour
mean :math:`\bar f_i = \sum_{j \to i} p_j f_j / w_i`,

.. math::

    \sum_{j \to i} p_j \|f'_i - f_j\|^2 = w_i \|f'_i - \bar f_i\|^2
    + \Big(\sum_{j \to i} p_j \|f_j\|^2 - w_i \|\bar f_i\|^2\Big),

so the cost is one fused sparse product (:math:`\sum_j p_j f_j`) plus ``O(N D + E)`` work, instead of
an ``E x D`` difference tensor (4.9 GB at B=16, T=750, K=50, D=2048). The gradient only flows through
the first term, which is computed without cancellation; the second (constant) term is clamped at 0.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from tal_pyg.debug import all_finite
from tal_pyg.nn.graph_aggregation import sparse_adjacency, sparse_matmul

__all__ = ["EPM_REDUCTIONS", "epm_loss"]

#: ``mean``: sum over edges / (E * D) (default, independent of T, K, D); ``sum``: the paper's form.
EPM_REDUCTIONS = ("mean", "sum")


def epm_loss(
    x_enhanced: Tensor,
    x_original: Tensor,
    edge_index: Tensor,
    scores: Tensor,
    reduction: str = "mean",
    num_graphs: Optional[int] = None,
    *,
    check_values: bool = True,
    sorted_by_target: Optional[bool] = None,
) -> Tensor:
    r"""Easy positive mining loss (Eq. 8) over the edges of the graph.

    Args:
        x_enhanced: :math:`f'` ``[N, D]`` (ACGNet output; gradients flow into it).
        x_original: :math:`f` ``[N, D]`` (treated as a constant, detached).
        edge_index: ``[2, E]`` long, edge ``j -> i`` (row 0 = source ``j``, row 1 = target ``i``).
        scores: :math:`p` ``[N]``, non-negative (a probability); detached inside.
        reduction: ``"mean"``: the sum divided by ``E * D``; ``"sum"``: the paper's form, the sum
            over edges divided by ``num_graphs`` when given (the paper's :math:`1/N` over videos).
        num_graphs: number of videos ``N`` of the batch, only used by ``reduction="sum"``.
        check_values: check that the indices are in range and the scores finite and non-negative
            (reads values on the host). :class:`~tal_pyg.models.WithACGNet` passes
            ``tal_pyg.is_debug_enabled()``, so a training step reads nothing (``docs/gpu.md``).
        sorted_by_target: whether ``edge_index`` is sorted by target (as the graph builder
            returns it); ``None`` looks on the host, ``False`` sorts on the device.

    Returns:
        a 0-dim tensor. With no edges it is exactly 0 and still part of the autograd graph of
        ``x_enhanced`` (``grad_fn`` set when ``x_enhanced`` requires grad).
    """
    if reduction not in EPM_REDUCTIONS:
        raise ValueError(f"epm_loss: reduction must be one of {EPM_REDUCTIONS}, got {reduction!r}")
    for name, t in (("x_enhanced", x_enhanced), ("x_original", x_original)):
        if not isinstance(t, Tensor) or t.dim() != 2:
            got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"epm_loss: {name} must have shape [N, D], got {got}")
    if x_enhanced.shape != x_original.shape:
        raise ValueError(
            f"epm_loss: x_enhanced {tuple(x_enhanced.shape)} and x_original {tuple(x_original.shape)} "
            "must have the same shape"
        )
    num_nodes, channels = x_enhanced.shape
    if not isinstance(scores, Tensor) or scores.dim() != 1 or scores.numel() != num_nodes:
        got = tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__
        raise ValueError(f"epm_loss: scores must have shape [{num_nodes}], got {got}")
    if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2:
        got = tuple(edge_index.shape) if isinstance(edge_index, Tensor) else type(edge_index).__name__
        raise ValueError(f"epm_loss: edge_index must have shape [2, E], got {got}")
    if edge_index.dtype != torch.long:
        raise ValueError(f"epm_loss: edge_index must be torch.long, got {edge_index.dtype}")
    if num_graphs is not None and (isinstance(num_graphs, bool) or not isinstance(num_graphs, int)
                                   or num_graphs < 1):
        raise ValueError(f"epm_loss: num_graphs must be a positive int or None, got {num_graphs!r}")
    num_edges = edge_index.size(1)
    if num_edges == 0 or channels == 0:
        return x_enhanced[:0].sum()  # exactly 0, with a grad_fn
    p = scores.detach().to(x_enhanced.dtype)
    if check_values:
        lo, hi = int(edge_index.min()), int(edge_index.max())
        if lo < 0 or hi >= num_nodes:
            raise ValueError(f"epm_loss: edge_index values must lie in [0, {num_nodes}), got [{lo}, {hi}]")
        if not all_finite(p) or bool((p < 0).any()):
            raise ValueError("epm_loss: scores must be finite and non-negative (probabilities)")
    f = x_original.detach().to(x_enhanced.dtype)
    src, dst = edge_index[0], edge_index[1]

    with torch.no_grad():
        p_src = p[src]
        weight = torch.zeros(num_nodes, dtype=p.dtype, device=p.device).index_add_(0, dst, p_src)
        sorted_ = sorted_by_target if sorted_by_target is not None else (None if check_values else False)
        adj = sparse_adjacency(edge_index, None, num_nodes, backend="torch_csr", is_sorted=sorted_)
        weighted_sum = sparse_matmul(adj, f * p.unsqueeze(1))  # sum_j p_j f_j   [N, D]
        has = (weight > 0).unsqueeze(1)
        mean = torch.where(has, weighted_sum / torch.where(has, weight.unsqueeze(1), 1.0), 0.0)
        sq_norm = (f * f).sum(dim=1)
        second_moment = torch.zeros_like(weight).index_add_(0, dst, p_src * sq_norm[src])
        spread = (second_moment - weight * (mean * mean).sum(dim=1)).clamp_(min=0)

    diff = x_enhanced - mean
    total = (weight * (diff * diff).sum(dim=1)).sum() + spread.sum()
    if reduction == "mean":
        return total / (num_edges * channels)
    if num_graphs is not None:
        return total / num_graphs
    return total
