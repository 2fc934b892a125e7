r"""Weighted neighbourhood aggregation :math:`\hat A X` with a fused sparse kernel.

:class:`GraphAggregation` is a :class:`~torch_geometric.nn.conv.MessagePassing` layer that computes

.. math::

    \mathbf{x}'_i = \sum_{j \in \mathcal{N}(i)} \hat A_{ij}\, \mathbf{x}_j ,

i.e. :math:`X' = \hat A X` with :math:`X \in \mathbb{R}^{N \times D}`. The edge ``j -> i`` carries
:math:`\hat A_{ij}` (``edge_index[0]`` = source ``j``, ``edge_index[1]`` = target ``i``).

It always runs through :meth:`message_and_aggregate` on a sparse adjacency (a CSR matrix with one
row per *target*): ``torch_sparse.SparseTensor`` when torch-sparse is importable, otherwise a
``torch.sparse_csr_tensor``. The default gather-scatter path, which materialises an ``E x D``
message tensor, is never used (it is ~20x slower at ACGNet's sizes, see
``benchmarks/sparse_vs_dense.py``).
"""
from __future__ import annotations

import warnings
from typing import Optional, Union

import torch
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing

try:  # optional compiled kernels
    from torch_sparse import SparseTensor as _SparseTensor

    HAS_TORCH_SPARSE = True
except Exception:  # pragma: no cover - depends on the environment
    _SparseTensor = None
    HAS_TORCH_SPARSE = False

__all__ = [
    "HAS_TORCH_SPARSE",
    "SPARSE_BACKENDS",
    "GraphAggregation",
    "sparse_adjacency",
    "sparse_matmul",
]

#: ``auto``: torch-sparse ``SparseTensor`` when importable, else torch CSR.
SPARSE_BACKENDS = ("auto", "torch_sparse", "torch_csr")

Adjacency = Union[Tensor, "_SparseTensor"]


def _is_torch_sparse_tensor(adj: object) -> bool:
    return _SparseTensor is not None and isinstance(adj, _SparseTensor)


def sparse_adjacency(
    edge_index: Tensor,
    edge_weight: Optional[Tensor],
    num_nodes: int,
    backend: str = "auto",
) -> Adjacency:
    r"""The ``[N, N]`` sparse matrix :math:`\hat A` (row = target ``i``, column = source ``j``).

    Args:
        edge_index: ``[2, E]`` long, ``edge_index[0]`` = source ``j``, ``edge_index[1]`` = target
            ``i``. Edges sorted by target (as built by
            :func:`~tal_pyg.graph.build_action_complement_graph`) are used as they are; others are
            sorted once (stable). Duplicate edges are summed.
        edge_weight: ``[E]`` weights :math:`\hat A_{ij}` (``None``: all ones).
        num_nodes: ``N``.
        backend: one of :data:`SPARSE_BACKENDS`.

    Returns:
        a ``torch_sparse.SparseTensor`` or a ``torch.sparse_csr_tensor``, ready for
        :func:`sparse_matmul`. Computed without gradient tracking on the weights.
    """
    if backend not in SPARSE_BACKENDS:
        raise ValueError(f"sparse_adjacency: backend must be one of {SPARSE_BACKENDS}, got {backend!r}")
    if backend == "torch_sparse" and not HAS_TORCH_SPARSE:
        raise ValueError("sparse_adjacency: backend='torch_sparse' needs torch-sparse, which is not importable")
    edge_index = edge_index.as_subclass(Tensor) if type(edge_index) is not Tensor else edge_index
    src, dst = edge_index[0], edge_index[1]
    if edge_weight is None:
        edge_weight = torch.ones(src.numel(), device=src.device)
    edge_weight = edge_weight.detach()
    if src.numel() > 1 and not bool((dst[1:] >= dst[:-1]).all()):
        perm = torch.argsort(dst, stable=True)
        src, dst, edge_weight = src[perm], dst[perm], edge_weight[perm]
    use_torch_sparse = backend == "torch_sparse" or (backend == "auto" and HAS_TORCH_SPARSE)
    if use_torch_sparse:
        return _SparseTensor(
            row=dst, col=src, value=edge_weight, sparse_sizes=(num_nodes, num_nodes), is_sorted=True,
            trust_data=True,
        )
    counts = torch.bincount(dst, minlength=num_nodes)
    rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=src.device)
    torch.cumsum(counts, dim=0, out=rowptr[1:])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
        return torch.sparse_csr_tensor(
            rowptr, src, edge_weight, (num_nodes, num_nodes), check_invariants=False
        )


def sparse_matmul(adj: Adjacency, x: Tensor) -> Tensor:
    r"""Fused :math:`\hat A X` for an adjacency from :func:`sparse_adjacency`; ``x`` is ``[N, D]``.

    Differentiable with respect to ``x``. Uses the CPU/GPU ``torch.sparse.mm(..., "sum")`` reduction
    kernel (one pass over the CSR rows, no ``E x D`` intermediate).
    """
    if _is_torch_sparse_tensor(adj):
        if adj.nnz() == 0:
            return x.new_zeros(adj.size(0), x.size(1)) + 0 * x[:0].sum()
        csr = adj.to_torch_sparse_csr_tensor()
    else:
        csr = adj
        if csr._nnz() == 0:
            return x.new_zeros(csr.size(0), x.size(1)) + 0 * x[:0].sum()
    if csr.dtype != x.dtype:
        csr = csr.to(x.dtype)
    if x.is_cuda:
        return torch.sparse.mm(csr, x)
    return torch.sparse.mm(csr, x, "sum")


class GraphAggregation(MessagePassing):
    r"""Weighted sum over incoming edges, :math:`X' = \hat A X` (ACGNet Eq. 5 / inside Eq. 6).

    No parameters. ``forward(x, adj)`` with ``x`` ``[N, D]`` and ``adj`` a sparse adjacency from
    :func:`sparse_adjacency` returns ``[N, D]``. A plain ``edge_index`` ``[2, E]`` (+
    ``edge_weight`` ``[E]``) is converted to a sparse adjacency first, so the fused kernel is
    always used.
    """

    def __init__(self, sparse_backend: str = "auto") -> None:
        super().__init__(aggr="sum")
        if sparse_backend not in SPARSE_BACKENDS:
            raise ValueError(
                f"GraphAggregation: sparse_backend must be one of {SPARSE_BACKENDS}, got {sparse_backend!r}"
            )
        self.sparse_backend = sparse_backend

    def forward(self, x: Tensor, edge_index: Adjacency, edge_weight: Optional[Tensor] = None) -> Tensor:
        if not (_is_torch_sparse_tensor(edge_index) or getattr(edge_index, "is_sparse_csr", False)):
            edge_index = sparse_adjacency(edge_index, edge_weight, x.size(0), self.sparse_backend)
        return self.propagate(edge_index, x=x)

    def message(self, x_j: Tensor, edge_weight: Optional[Tensor] = None) -> Tensor:  # pragma: no cover
        # only reached in PyG's explain mode; the fused path below is the one used
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, adj_t: Adjacency, x: Tensor) -> Tensor:
        return sparse_matmul(adj_t, x)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(sparse_backend={self.sparse_backend!r})"
