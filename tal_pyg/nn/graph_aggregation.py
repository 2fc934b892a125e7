r"""Weighted neighbourhood aggregation :math:`\hat A X` with a fused sparse kernel.

:class:`GraphAggregation` is a :class:`~torch_geometric.nn.conv.MessagePassing` layer that computes

.. math::

    \mathbf{x}'_i = \sum_{j \in \mathcal{N}(i)} \hat A_{ij}\, \mathbf{x}_j ,

i.e. :math:`X' = \hat A X` with :math:`X \in \mathbb{R}^{N \times D}`. The edge ``j -> i`` carries
:math:`\hat A_{ij}` (``edge_index[0]`` = source ``j``, ``edge_index[1]`` = target ``i``).

It always runs through :meth:`message_and_aggregate` on a sparse adjacency (a CSR matrix with one
row per *target*): a ``torch.sparse_csr_tensor`` multiplied with the ``torch.sparse.mm(..., "sum")``
reduction kernel (default on CPU), or a ``torch_sparse.SparseTensor`` (``sparse_backend=
"torch_sparse"``, the default on CUDA when torch-sparse is importable). The default gather-scatter
path, which materialises an ``E x D`` message tensor, is never used (it is ~20x slower at ACGNet's sizes, see
``benchmarks/sparse_vs_dense.py``).
"""
from __future__ import annotations

import warnings
from typing import Optional, Union

import torch
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.utils import spmm

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
    "transposed_csr",
    "sparse_matmul",
]

#: ``auto``: torch CSR on CPU (fastest there, see ``benchmarks/sparse_vs_dense.py``); on CUDA a
#: torch-sparse ``SparseTensor`` when torch-sparse is importable, else torch CSR.
SPARSE_BACKENDS = ("auto", "torch_sparse", "torch_csr")

Adjacency = Union[Tensor, "_SparseTensor"]


def is_torch_sparse_tensor(adj: object) -> bool:
    """Whether ``adj`` is a ``torch_sparse.SparseTensor`` (``False`` when torch_sparse is not installed)."""
    return _SparseTensor is not None and isinstance(adj, _SparseTensor)


def sparse_adjacency(
    edge_index: Tensor,
    edge_weight: Optional[Tensor],
    num_nodes: int,
    backend: str = "auto",
    is_sorted: Optional[bool] = None,
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
        is_sorted: whether the edges are sorted by target. ``None`` looks (one value read on the
            host, then a stable sort if needed); ``True`` trusts the caller; ``False`` always sorts
            (stable). The last two read nothing on the host (the row pointers come from a binary
            search, not from ``bincount``), so they keep a GPU training step free of host syncs.

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
    if is_sorted is None:
        is_sorted = src.numel() < 2 or bool((dst[1:] >= dst[:-1]).all())
    if not is_sorted:
        perm = torch.argsort(dst, stable=True)
        src, dst, edge_weight = src[perm], dst[perm], edge_weight[perm]
    rowptr = _pointers(dst, num_nodes)
    use_torch_sparse = backend == "torch_sparse" or (
        backend == "auto" and HAS_TORCH_SPARSE and src.is_cuda
    )
    if use_torch_sparse:
        return _SparseTensor(
            row=dst, rowptr=rowptr, col=src, value=edge_weight, sparse_sizes=(num_nodes, num_nodes),
            is_sorted=True, trust_data=True,
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
        return torch.sparse_csr_tensor(
            rowptr, src, edge_weight, (num_nodes, num_nodes), check_invariants=False
        )


def _pointers(sorted_index: Tensor, size: int) -> Tensor:
    """CSR pointers ``[size + 1]`` of a sorted index vector: ``ptr[i]`` = number of entries < ``i``.

    A binary search instead of ``bincount`` + ``cumsum``: ``bincount`` reads the maximum on the host
    on CUDA, this reads nothing.
    """
    boundaries = torch.arange(size + 1, dtype=sorted_index.dtype, device=sorted_index.device)
    return torch.searchsorted(sorted_index, boundaries)


def transposed_csr(adj: Tensor) -> Tensor:
    r""":math:`\hat A^\top` of a CSR adjacency ``[N, M]`` as CSR ``[M, N]``, computed once per adjacency and cached
    on it (the backward pass of the fused aggregation multiplies by it). Reads nothing on the host."""
    cached = getattr(adj, "_tal_pyg_transpose", None)
    if cached is not None:
        return cached
    num_rows, num_cols = adj.shape
    rowptr, col, value = adj.crow_indices(), adj.col_indices(), adj.values()
    row = torch.repeat_interleave(torch.arange(num_rows, device=rowptr.device), rowptr.diff(),
                                  output_size=col.numel())  # the size is known: no host read
    sorted_col, perm = torch.sort(col, stable=True)
    colptr = _pointers(sorted_col, num_cols)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
        transposed = torch.sparse_csr_tensor(
            colptr, row[perm], value[perm], (num_cols, num_rows), check_invariants=False
        )
    adj._tal_pyg_transpose = transposed  # type: ignore[attr-defined]  # cached on the tensor object
    return transposed


class _FusedCSRMatmul(torch.autograd.Function):
    """``adj @ x`` with the CPU ``sum``-reduction CSR kernel in both directions.

    The backward pass multiplies by the transposed CSR, built once per adjacency and shared by
    every layer that uses it (torch's own backward re-derives it on every call).
    """

    @staticmethod
    def forward(ctx, x: Tensor, adj: Tensor) -> Tensor:  # type: ignore[override]
        ctx.adj = adj
        return torch.sparse.mm(adj, x, "sum")

    @staticmethod
    def backward(ctx, grad_out: Tensor):  # type: ignore[override]
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.sparse.mm(transposed_csr(ctx.adj), grad_out.contiguous(), "sum")
        return grad_x, None


def sparse_matmul(adj: Adjacency, x: Tensor) -> Tensor:
    r"""Fused :math:`\hat A X` for an adjacency from :func:`sparse_adjacency`; ``x`` is ``[N, D]``.

    Differentiable with respect to ``x`` (not the weights). ``torch_sparse.SparseTensor`` goes
    through PyG's :func:`torch_geometric.utils.spmm`; a torch CSR tensor through the
    ``torch.sparse.mm(..., "sum")`` reduction kernel (one pass over the CSR rows, no ``E x D``
    intermediate) with a cached transposed CSR for the backward pass.
    """
    if is_torch_sparse_tensor(adj):
        if adj.nnz() == 0:
            return x.new_zeros(adj.size(0), x.size(1)) + 0 * x[:0].sum()
        if adj.dtype() != x.dtype:
            adj = adj.type(x.dtype)
        with warnings.catch_warnings():  # PyG converts it to a torch CSR tensor on CPU
            warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
            warnings.filterwarnings("ignore", message=".*Sparse invariant checks are implicitly.*")
            return spmm(adj, x, reduce="sum")
    if adj._nnz() == 0:
        return x.new_zeros(adj.size(0), x.size(1)) + 0 * x[:0].sum()
    if adj.dtype != x.dtype:
        adj = adj.to(x.dtype)
    if x.is_cuda:
        return torch.sparse.mm(adj, x)
    return _FusedCSRMatmul.apply(x, adj)


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
        if not (is_torch_sparse_tensor(edge_index) or getattr(edge_index, "is_sparse_csr", False)):
            # a module: never read the edges on the host to see whether they are sorted, sort them
            edge_index = sparse_adjacency(edge_index, edge_weight, x.size(0), self.sparse_backend, is_sorted=False)
        return self.propagate(edge_index, x=x)

    def message_and_aggregate(self, adj_t: Adjacency, x: Tensor) -> Tensor:
        return sparse_matmul(adj_t, x)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(sparse_backend={self.sparse_backend!r})"
