r"""ACGNet: Action Complement Graph Network (Yang et al., AAAI 2022), graph inference part.

.. math::

    F_{avg} &= \hat A F && \text{(Eq. 5)} \\
    F^{(0)} &= F, \quad F^{(m)} = \mathrm{ReLU}\big(\hat A F^{(m-1)} W^{(m)}\big),\ m = 1..M
    && \text{(Eq. 6)} \\
    F' &= F + F_{avg} + F^{(M)} && \text{(Eq. 7)}

with :math:`\hat A` the row-normalised action complement graph
(:func:`tal_pyg.graph.build_action_complement_graph`) and :math:`W^{(m)} \in \mathbb{R}^{D \times D}`
(no bias, Glorot initialised). Decisions where the paper is silent: docs/method.md#graph-inference-eq-5-7.

Value checks (NaN/inf in ``x`` or ``edge_weight``, edge indices out of range) read the device on
the host and run only with :func:`tal_pyg.set_debug` on; shapes and dtypes are always checked
(``docs/gpu.md``). Outside debug mode a training step through :meth:`ACGNet.forward_batch` reads
one value on the host: the edge count of the graph it builds.
"""
from __future__ import annotations

import warnings
from typing import List, NamedTuple, Optional

import torch
from torch import Tensor
from torch_geometric.nn import Linear
from torch_geometric.utils import degree

from tal_pyg.debug import all_finite, is_debug_enabled
from tal_pyg.graph import DEFAULT_GRAPH, GRAPH_VARIANTS, build_action_complement_graph
from tal_pyg.nn.graph_aggregation import (
    SPARSE_BACKENDS,
    Adjacency,
    GraphAggregation,
    is_torch_sparse_tensor,
    sparse_adjacency,
)

__all__ = ["ACGNet", "ACGNetOutput", "FUSIONS"]

#: ``sum``: :math:`F' = F + F_{avg} + F_{gcn}` (paper); ``concat``: :math:`[F \| F_{avg} \| F_{gcn}]`.
FUSIONS = ("sum", "concat")


class ACGNetOutput(NamedTuple):
    """What :meth:`ACGNet.forward_batch` returns (a tuple, so ``x, edge_index, edge_weight = ...`` works)."""

    #: ``[B, T, out_channels]`` enhanced features :math:`F'`.
    x: Tensor
    #: ``[2, E]`` long, the graph of every video in PyG form (edge ``j -> i``, node id ``b * T + t``).
    edge_index: Tensor
    #: ``[E]`` row-normalised weights :math:`\hat A_{ij}` (dtype of ``x``).
    edge_weight: Tensor


class ACGNet(torch.nn.Module):
    r"""Enhance snippet features with the action complement graph (paper Eq. 5-7).

    .. math::

        F' = F + \hat A F + \mathrm{ReLU}(\hat A \cdots \mathrm{ReLU}(\hat A F W^{(1)}) \cdots W^{(M)})

    :math:`\hat A F` is computed once and shared by the average branch and the first GCN layer
    (:math:`\hat A F W = (\hat A F) W`), so ``M + 1`` weighted products become ``M`` sparse
    aggregations (:class:`~tal_pyg.nn.GraphAggregation`, fused sparse kernel) plus ``M`` dense
    ``D x D`` matmuls.

    Parameters: ``M * D * D`` (no bias). For ``D = 2048, M = 2`` that is
    ``2 * 2048 * 2048 = 8,388,608`` (8.39 M), the paper's BaS-Net 26.3 M -> 34.6 M.

    Args:
        in_channels: ``D``.
        num_layers: ``M`` (>= 1), number of GCN layers.
        k, threshold, alpha, z, graph, block_size: graph construction, see
            :func:`tal_pyg.graph.build_action_complement_graph` (used by :meth:`forward_batch`).
        use_avg: add the average branch :math:`F_{avg}` (ablation switch, paper Table 4).
        use_gcn: add the GCN branch :math:`F_{gcn} = F^{(M)}` (ablation switch).
        fusion: ``"sum"`` (paper) or ``"concat"`` (``[F, F_avg, F_gcn]`` along channels; a disabled
            branch is left out, so ``out_channels = (1 + use_avg + use_gcn) * D``).
        sparse_backend: adjacency format for the fused aggregation, one of
            :data:`~tal_pyg.nn.graph_aggregation.SPARSE_BACKENDS`.

    Shapes:
        - :meth:`forward`: ``x`` ``[N, D]``, ``edge_index`` ``[2, E]``, ``edge_weight`` ``[E]`` or
          ``None`` (uniform weights ``1 / in-degree``) -> ``[N, out_channels]``.
        - :meth:`forward_batch`: ``x`` ``[B, T, D]`` (a padded batch), ``mask`` ``[B, T]`` bool or
          ``None``; the graph is built inside -> :class:`ACGNetOutput` ``(x [B, T, out_channels],
          edge_index [2, E], edge_weight [E])`` with node id ``b * T + t``.

    Example::

        acgnet = ACGNet(2048, k=50)
        out = acgnet.forward_batch(torch.randn(16, 750, 2048))   # out.x: [16, 750, 2048]
    """

    def __init__(
        self,
        in_channels: int,
        num_layers: int = 2,
        k: int = DEFAULT_GRAPH.k,
        threshold: float = DEFAULT_GRAPH.threshold,
        alpha: float = DEFAULT_GRAPH.alpha,
        z: int = DEFAULT_GRAPH.z,
        graph: str = DEFAULT_GRAPH.graph,
        use_avg: bool = True,
        use_gcn: bool = True,
        fusion: str = "sum",
        block_size: Optional[int] = DEFAULT_GRAPH.block_size,
        sparse_backend: str = "auto",
    ) -> None:
        super().__init__()
        if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f"ACGNet: in_channels must be a positive int, got {in_channels!r}")
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"ACGNet: num_layers must be a positive int, got {num_layers!r}")
        if fusion not in FUSIONS:
            raise ValueError(f"ACGNet: fusion must be one of {FUSIONS}, got {fusion!r}")
        if graph not in GRAPH_VARIANTS:
            raise ValueError(f"ACGNet: graph must be one of {GRAPH_VARIANTS}, got {graph!r}")
        if sparse_backend not in SPARSE_BACKENDS:
            raise ValueError(f"ACGNet: sparse_backend must be one of {SPARSE_BACKENDS}, got {sparse_backend!r}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"ACGNet: k must be a positive int, got {k!r}")
        if isinstance(z, bool) or not isinstance(z, int) or z < 1:
            raise ValueError(f"ACGNet: z must be a positive int, got {z!r}")
        self.in_channels = in_channels
        self.num_layers = num_layers
        self.k, self.threshold, self.alpha, self.z = k, float(threshold), float(alpha), z
        self.graph = graph
        self.use_avg, self.use_gcn = bool(use_avg), bool(use_gcn)
        self.fusion = fusion
        self.block_size = block_size
        self.sparse_backend = sparse_backend
        self.aggregation = GraphAggregation(sparse_backend)
        self.weights = torch.nn.ModuleList(
            [
                Linear(in_channels, in_channels, bias=False, weight_initializer="glorot")
                for _ in range(num_layers)
            ]
        )
        self.reset_parameters()

    @staticmethod
    def output_channels(in_channels: int, fusion: str = "sum", use_avg: bool = True,
                        use_gcn: bool = True) -> int:
        """Output width of an ACGNet with these arguments, without building one: ``in_channels``
        with ``fusion="sum"``, ``(1 + use_avg + use_gcn) * in_channels`` with ``"concat"``."""
        if fusion not in FUSIONS:
            raise ValueError(f"ACGNet: fusion must be one of {FUSIONS}, got {fusion!r}")
        if fusion == "sum":
            return in_channels
        return (1 + int(bool(use_avg)) + int(bool(use_gcn))) * in_channels

    @property
    def out_channels(self) -> int:
        return self.output_channels(self.in_channels, self.fusion, self.use_avg, self.use_gcn)

    def reset_parameters(self) -> None:
        """Glorot-initialise every :math:`W^{(m)}` (never zeros: the GCN would get no gradient)."""
        for lin in self.weights:
            lin.reset_parameters()

    def graph_kwargs(self) -> dict:
        """Keyword arguments of :func:`~tal_pyg.graph.build_action_complement_graph` used here."""
        return dict(
            k=self.k, threshold=self.threshold, alpha=self.alpha, z=self.z, graph=self.graph,
            block_size=self.block_size,
        )

    def _check_x(self, x: Tensor, rank: int, where: str) -> None:
        if not isinstance(x, Tensor):
            raise ValueError(f"ACGNet.{where}: x must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != rank:
            shape = "[N, D]" if rank == 2 else "[B, T, D]"
            raise ValueError(
                f"ACGNet.{where}: x must have shape {shape} ({rank} dimensions), got shape {tuple(x.shape)}"
            )
        if x.size(-1) != self.in_channels:
            raise ValueError(
                f"ACGNet.{where}: x has {x.size(-1)} channels, expected in_channels={self.in_channels}"
            )
        if not x.is_floating_point():
            raise ValueError(f"ACGNet.{where}: x must be floating point, got {x.dtype}")
        if is_debug_enabled() and not all_finite(x):
            raise ValueError(f"ACGNet.{where}: x contains NaN or inf values")

    def _adjacency(
        self, edge_index: Adjacency, edge_weight: Optional[Tensor], num_nodes: int, dtype: torch.dtype,
        is_sorted: bool = False,
    ) -> Adjacency:
        if is_torch_sparse_tensor(edge_index) or getattr(edge_index, "is_sparse_csr", False):
            if tuple(edge_index.sizes() if is_torch_sparse_tensor(edge_index) else edge_index.shape) != (
                num_nodes,
                num_nodes,
            ):
                raise ValueError(f"ACGNet.forward: the sparse adjacency must be [{num_nodes}, {num_nodes}]")
            return edge_index
        if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2:
            shape = tuple(edge_index.shape) if isinstance(edge_index, Tensor) else type(edge_index).__name__
            raise ValueError(f"ACGNet.forward: edge_index must have shape [2, E], got {shape}")
        if edge_index.dtype != torch.long:
            raise ValueError(f"ACGNet.forward: edge_index must be torch.long, got {edge_index.dtype}")
        num_edges = edge_index.size(1)
        debug = is_debug_enabled()
        if num_edges > 0 and debug:
            lo, hi = int(edge_index.min()), int(edge_index.max())
            if lo < 0 or hi >= num_nodes:
                raise ValueError(
                    f"ACGNet.forward: edge_index values must lie in [0, {num_nodes}), got [{lo}, {hi}]"
                )
        if edge_weight is None:
            raise ValueError("ACGNet.forward: edge_weight [E] is required with a plain edge_index")
        if edge_weight.dim() != 1 or edge_weight.numel() != num_edges:
            raise ValueError(
                f"ACGNet.forward: edge_weight must have shape [{num_edges}], got {tuple(edge_weight.shape)}"
            )
        if debug and not all_finite(edge_weight):
            raise ValueError("ACGNet.forward: edge_weight contains NaN or inf values")
        return sparse_adjacency(edge_index, edge_weight.to(dtype), num_nodes, self.sparse_backend,
                                is_sorted=None if debug else is_sorted)

    def forward(self, x: Tensor, edge_index: Adjacency, edge_weight: Optional[Tensor] = None) -> Tensor:
        r"""Enhance node features ``x`` ``[N, D]`` over the graph (``edge_index`` ``[2, E]`` with
        ``edge_weight`` ``[E]`` = :math:`\hat A_{ij}` on ``j -> i``, or a ready sparse adjacency
        from :func:`~tal_pyg.nn.graph_aggregation.sparse_adjacency`). Returns ``[N, out_channels]``.

        Without ``edge_weight`` every incoming edge of node ``i`` weighs ``1 / deg_in(i)``: the
        row-normalised adjacency of the unweighted graph (as PyG layers default to uniform weights).
        A plain ``edge_index`` is sorted by target on the device (nothing is read on the host).
        """
        self._check_x(x, 2, "forward")
        if edge_weight is None and _is_edge_index(edge_index):
            edge_weight = _uniform_weights(edge_index, x.size(0), x.dtype)
        return self._enhance(x, self._adjacency(edge_index, edge_weight, x.size(0), x.dtype))

    def _enhance(self, x: Tensor, adj: Adjacency) -> Tensor:
        """Eq. 5-7 on a ready sparse adjacency."""
        outputs: List[Tensor] = [x]
        if self.use_avg or self.use_gcn:
            x_avg = self.aggregation(x, adj)  # \hat A F
            if self.use_avg:
                outputs.append(x_avg)
            if self.use_gcn:
                h = x_avg
                for m, lin in enumerate(self.weights):
                    if m > 0:
                        h = self.aggregation(h, adj)
                    h = torch.relu(lin(h))  # ReLU(\hat A F^{(m-1)} W^{(m)})
                outputs.append(h)
        if self.fusion == "concat":
            return torch.cat(outputs, dim=-1)
        out = outputs[0]
        for extra in outputs[1:]:
            out = out + extra
        return out

    def forward_batch(self, x: Tensor, mask: Optional[Tensor] = None) -> ACGNetOutput:
        """Build the graph of each video of the padded batch ``x`` ``[B, T, D]`` (padding ``mask``
        ``[B, T]``, ``True`` = real snippet) and enhance it. Returns :class:`ACGNetOutput`
        ``(x [B, T, out_channels], edge_index, edge_weight)``; node ids are ``b * T + t`` so
        ``x.reshape(B * T, D)`` lines up with ``edge_index``. Padded snippets receive and send
        nothing (their output is ``x`` plus zero branches).
        """
        self._check_x(x, 3, "forward_batch")
        num_videos, num_nodes, channels = x.shape
        # the graph's own checks read values on the host: only in debug mode (x is checked above)
        edge_index, edge_weight = build_action_complement_graph(
            x.detach(), mask, check_values=is_debug_enabled(), **self.graph_kwargs()
        )
        edge_weight = edge_weight.to(x.dtype)
        flat = x.reshape(num_videos * num_nodes, channels)
        # the builder's edges are sorted by target: the adjacency is built without a host read
        adj = self._adjacency(edge_index, edge_weight, flat.size(0), x.dtype, is_sorted=True)
        out = self._enhance(flat, adj)
        return ACGNetOutput(out.view(num_videos, num_nodes, -1), edge_index, edge_weight)

    def forward_dense(self, x: Tensor, mask: Optional[Tensor] = None) -> ACGNetOutput:
        """Deprecated name of :meth:`forward_batch` (in PyG "dense" means a dense adjacency)."""
        warnings.warn("ACGNet.forward_dense is deprecated, use ACGNet.forward_batch", DeprecationWarning,
                      stacklevel=2)
        return self.forward_batch(x, mask)

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, num_layers={self.num_layers}, k={self.k}, "
            f"threshold={self.threshold}, alpha={self.alpha}, z={self.z}, graph={self.graph!r}, "
            f"use_avg={self.use_avg}, use_gcn={self.use_gcn}, fusion={self.fusion!r}"
        )


def _is_edge_index(edge_index: Adjacency) -> bool:
    """A plain ``[2, E]`` long ``edge_index`` (not a ready sparse adjacency, not malformed)."""
    return (isinstance(edge_index, Tensor) and edge_index.layout == torch.strided and edge_index.dim() == 2
            and edge_index.size(0) == 2 and edge_index.dtype == torch.long)


def _uniform_weights(edge_index: Tensor, num_nodes: int, dtype: torch.dtype) -> Tensor:
    """``1 / deg_in(i)`` on every edge ``j -> i``. Indices outside ``[0, N)`` are clamped here only
    so that the range check of :meth:`ACGNet._adjacency` reports them."""
    if num_nodes == 0:
        return torch.ones(edge_index.size(1), dtype=dtype, device=edge_index.device)
    target = edge_index[1].clamp(0, num_nodes - 1)
    return degree(target, num_nodes, dtype=dtype).reciprocal()[target]
