r"""Construction of the action complement graph (ACG) of ACGNet (AAAI 2022, Eq. 1-4).

For one video with snippet features :math:`F \in \mathbb{R}^{T \times D}`:

.. math::

    A^s_{ij} &= \cos(f_i, f_j) = \frac{f_i \cdot f_j}{\max(\|f_i\|, \epsilon)\,\max(\|f_j\|, \epsilon)}
    && \text{(Eq. 1)} \\
    A^t_{ij} &= 1 - \frac{\max(Z - |i - j|, 0)}{Z} && \text{(Eq. 2)} \\
    A_{ij} &= \frac{A^s_{ij} + \alpha A^t_{ij}}{2} && \text{(Eq. 3)} \\
    A'_{ij} &= A_{ij}\,[A_{ij} > \lambda]\,[\mathrm{rank}_i(j) \le K] && \text{(Eq. 4)} \\
    \hat A_{ij} &= A'_{ij} / \textstyle\sum_{j'} A'_{ij'}

The graph is returned in PyG form: the edge ``j -> i`` (``edge_index[0] = j`` is the source,
``edge_index[1] = i`` the target) carries the row-normalised weight :math:`\hat A_{ij}`, so that
aggregating over the incoming edges of node ``i`` computes :math:`(\hat A F)_i`.

The dense :math:`T \times T` matrix is the only quadratic object; it is computed in row blocks so
that peak memory is :math:`O(\text{block} \cdot T + T \cdot K)`, never :math:`O(T^2)`.

Host synchronisation (``docs/gpu.md``): with ``check_values=False`` (how :class:`tal_pyg.nn.ACGNet`
calls it outside debug mode) the construction reads exactly one value on the host, the number of
kept edges ``E`` (the output shape depends on the data through :math:`\lambda`). Value checks and the
overflow rescue of the cosine run only with ``check_values=True`` (the default for a direct call).
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor

from tal_pyg.graph.params import DEFAULT_GRAPH, GRAPH_VARIANTS

__all__ = ["GRAPH_VARIANTS", "DEFAULT_BLOCK_ELEMENTS", "build_action_complement_graph"]

#: Default number of entries of the dense similarity matrix computed at once (``2**25`` =
#: 128 MiB in float32). With ``block_size=None`` the row block is derived from it.
DEFAULT_BLOCK_ELEMENTS = 2**25

#: Norms below this value count as zero: a zero feature vector has cosine 0 with everything.
COSINE_EPS = 1e-12

_NAME = "build_action_complement_graph"


def _check_args(
    x: Tensor,
    mask: Optional[Tensor],
    k: int,
    threshold: float,
    alpha: float,
    z: int,
    graph: str,
    block_size: Optional[int],
    check_values: bool = True,
) -> Tuple[Tensor, Optional[Tensor]]:
    if not isinstance(x, Tensor):
        raise ValueError(f"{_NAME}: x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() not in (2, 3):
        raise ValueError(
            f"{_NAME}: x must have shape [T, D] or [B, T, D], got {x.dim()} dimensions "
            f"(shape {tuple(x.shape)})"
        )
    if not x.is_floating_point():
        raise ValueError(f"{_NAME}: x must be a floating point tensor, got {x.dtype}")
    x3 = x.unsqueeze(0) if x.dim() == 2 else x
    if mask is not None:
        if not isinstance(mask, Tensor):
            raise ValueError(f"{_NAME}: mask must be a torch.Tensor or None")
        if mask.dim() == 1 and x.dim() == 2:
            mask = mask.unsqueeze(0)
        if mask.dtype != torch.bool:
            raise ValueError(f"{_NAME}: mask must be a bool tensor, got {mask.dtype}")
        if tuple(mask.shape) != tuple(x3.shape[:2]):
            raise ValueError(
                f"{_NAME}: mask must have shape {tuple(x3.shape[:2])} (the [B, T] of x), "
                f"got {tuple(mask.shape)}"
            )
        mask = mask.to(x.device)
        if check_values and bool(mask.all()):  # a value check: only for a direct call
            mask = None
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"{_NAME}: k must be a positive int, got {k!r}")
    if isinstance(z, bool) or not isinstance(z, int) or z < 1:
        raise ValueError(f"{_NAME}: z must be a positive int, got {z!r}")
    if threshold != threshold:  # NaN
        raise ValueError(f"{_NAME}: threshold must not be NaN")
    if not math.isfinite(float(alpha)):
        raise ValueError(f"{_NAME}: alpha must be finite, got {alpha!r}")
    if graph not in GRAPH_VARIANTS:
        raise ValueError(f"{_NAME}: graph must be one of {GRAPH_VARIANTS}, got {graph!r}")
    if block_size is not None and (
        isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1
    ):
        raise ValueError(f"{_NAME}: block_size must be a positive int or None, got {block_size!r}")
    return x3, mask


def _unit_rows(x: Tensor, dtype: torch.dtype, check_values: bool = True) -> Tensor:
    """``x / max(||x||, eps)`` along the last dimension, in ``dtype``; rejects NaN/inf.

    The finiteness check rides on the norms (a NaN or inf anywhere makes its row norm non-finite),
    so valid input costs no extra pass over ``x``; the element-wise check only runs on failure.
    Without ``check_values`` nothing is read on the host: a row whose squared norm overflows
    (``|x| > ~1.8e19`` in float32) becomes a zero vector (cosine 0 with everything) instead of being
    rescaled, and NaN/inf are not looked for (the datasets reject them when a file is read).
    """
    x = x.to(dtype)
    norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
    if not check_values:
        inverse = norm.clamp_(min=COSINE_EPS).reciprocal_()
        return x * torch.where(torch.isfinite(norm), inverse, 0.0)
    if norm.numel() > 0 and not bool(torch.isfinite(norm).all()):
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"{_NAME}: x contains NaN or inf values")
        # finite values whose squares overflow: scale each row by its largest magnitude first
        x = x / x.abs().amax(dim=-1, keepdim=True).clamp_(min=torch.finfo(dtype).tiny)
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
    return x * norm.clamp_(min=COSINE_EPS).reciprocal_()


def _matrix_scale(graph: str) -> float:
    """The factor between the computed blocks and ``A``: 2 for Eq. 3, else 1.

    The factor 1/2 of Eq. 3 is never applied: multiplying by a power of two is exact, so comparing
    ``2 A`` with ``2 lambda`` selects bit-for-bit the same entries, the row normalisation cancels
    it exactly, and one pass over the dense block is saved.
    """
    return 2.0 if graph == "full" else 1.0


def _temporal_band(a: Tensor, rows: slice, cols: slice, z: int) -> List[Tuple[int, Tensor]]:
    """:math:`A^t` (Eq. 2) on the diagonals of block ``a`` (target ``rows``, source ``cols``) where
    it differs from 1, i.e. ``|i - j| < Z``: ``[(local diagonal offset, value), ...]``.

    Each value is computed in ``a.dtype`` exactly as Eq. 2 reads: ``1 - max(Z - |i-j|, 0) / Z``.
    """
    band = []
    num_rows, num_cols = a.shape[-2], a.shape[-1]
    for d in range(-(z - 1), z):  # d = j - i
        offset = d + rows.start - cols.start  # local: j_local = i_local + offset
        if -num_rows < offset < num_cols:
            near = torch.full((), float(z - abs(d)), dtype=a.dtype, device=a.device)  # no copy
            band.append((offset, 1 - near / z))
    return band


def _add_temporal(a: Tensor, rows: slice, cols: slice, graph: str, alpha: float, z: int) -> None:
    """In place on ``a`` ``[b, r, c]`` (the block ``rows x cols``) according to ``graph``:
    ``a += alpha At`` (full), ``a -= alpha At`` (G2), ``a = At`` (temporal only), or nothing.

    :math:`A^t = 1` wherever ``|i - j| >= Z``, so the block gets one scalar pass and only the
    ``2Z - 1`` diagonals of the band are computed separately (from the untouched values).
    """
    if graph == "similarity":
        return
    band = _temporal_band(a, rows, cols, z)
    if graph == "temporal_only":
        a.fill_(1.0)
        for offset, at in band:
            a.diagonal(offset, dim1=-2, dim2=-1).fill_(at)
        return
    coef = alpha if graph == "full" else -alpha
    band_values = [
        (offset, a.diagonal(offset, dim1=-2, dim2=-1).add(at * coef)) for offset, at in band
    ]
    a.add_(coef)  # As + coef * 1 outside the band
    for offset, value in band_values:
        a.diagonal(offset, dim1=-2, dim2=-1).copy_(value)


def _block_pieces(
    xb: Tensor, rows: slice, graph: str, alpha: float, z: int
) -> List[Tuple[slice, Tensor]]:
    """Dense rows of ``2 A`` (see :func:`_matrix_scale`) for the videos ``xb`` ``[b, T, D]``.

    Returns ``[(row_slice, block [b, r, T]), ...]`` covering ``rows`` in order. When ``rows`` is
    the whole video, the symmetry of ``A`` is used: the top half rows ``[0, h)`` and the
    bottom-right quarter are multiplied, the bottom-left quarter is the transpose of the top-right
    one, so the matmul costs 3/4 of the full ``T x T`` product.
    """
    num_videos, num_nodes = xb.shape[0], xb.shape[1]
    if graph == "temporal_only":
        a = xb.new_empty(num_videos, rows.stop - rows.start, num_nodes)
        _add_temporal(a, rows, slice(0, num_nodes), graph, alpha, z)
        return [(rows, a)]
    if rows.start != 0 or rows.stop != num_nodes or num_nodes < 2:
        a = torch.bmm(xb[:, rows], xb.transpose(1, 2))  # cosine similarity As (Eq. 1)
        _add_temporal(a, rows, slice(0, num_nodes), graph, alpha, z)
        return [(rows, a)]
    h = num_nodes // 2
    top = torch.bmm(xb[:, :h], xb.transpose(1, 2))  # rows [0, h), all columns
    _add_temporal(top, slice(0, h), slice(0, num_nodes), graph, alpha, z)
    corner = torch.bmm(xb[:, h:], xb[:, h:].transpose(1, 2))  # rows and columns [h, T)
    _add_temporal(corner, slice(h, num_nodes), slice(h, num_nodes), graph, alpha, z)
    bottom = xb.new_empty(num_videos, num_nodes - h, num_nodes)
    bottom[:, :, :h] = top[:, :, h:].transpose(1, 2)  # A is symmetric (As and At both are)
    bottom[:, :, h:] = corner
    return [(slice(0, h), top), (slice(h, num_nodes), bottom)]


#: Long rows are pre-filtered in chunks of this many columns before ``topk`` (see
#: :func:`_preselect_chunks`); used when a row has at least ``_PRESELECT_FACTOR * (K + 1)`` chunks.
_CHUNK = 64
_PRESELECT_FACTOR = 4


def _preselect_chunks(a: Tensor, kk: int, chunk: int) -> Tuple[Tensor, Tensor]:
    """Candidates for the top-``kk + 1`` of each row of a long block ``a`` ``[b, r, T]``.

    Split each row into chunks of ``chunk`` columns and keep the ``kk + 1`` chunks with the largest
    maxima: every element outside them is <= the (K+1)-th largest chunk maximum, which is <= the
    (K+1)-th largest element of the row, so the top-(K+1) values (and any tie at the K-th place)
    are among the kept ``(kk + 1) * chunk`` candidates. Returns ``(values, columns)`` of them.
    """
    b, r, t = a.shape
    full = t // chunk * chunk
    maxima = a[..., :full].reshape(b, r, t // chunk, chunk).amax(dim=-1)
    if full < t:
        maxima = torch.cat([maxima, a[..., full:].amax(dim=-1, keepdim=True)], dim=-1)
    best = maxima.topk(kk + 1, dim=-1, sorted=False).indices  # [b, r, kk + 1]
    columns = (best.unsqueeze(-1) * chunk + torch.arange(chunk, device=a.device)).reshape(b, r, -1)
    valid = columns < t  # the last chunk may be short
    columns = torch.where(valid, columns, 0)
    values = a.gather(-1, columns).masked_fill_(~valid, float("-inf"))
    return values, columns


def _break_ties_without_sync(a: Tensor, values: Tensor, index: Tensor, kk: int) -> Tuple[Tensor, Tensor]:
    """The documented tie rule on every row at once, with no value read on the host.

    ``values, index`` are the sorted top-``kk + 1`` of ``a`` ``[b, r, T]``. With ``kth`` the K-th
    value of a row and ``g`` the number of its entries greater than ``kth`` (all among the first
    ``g`` places of the sorted top-K), the row's K places are those ``g`` entries followed by the
    ``kk - g`` entries equal to ``kth`` with the smallest column index. The ``m``-th equal entry is
    found by a binary search in the running count of equal entries, so the cost is one comparison
    and one cumulative sum over the block (no per-row branch, no ``nonzero``). Rows without a tie
    get their own top-K back.
    """
    num_cols = a.shape[-1]
    kth = values[..., kk - 1 : kk]  # [b, r, 1]
    values, index = values[..., :kk], index[..., :kk]
    greater = (values > kth).sum(dim=-1, keepdim=True, dtype=torch.int32)  # [b, r, 1]
    equal_count = torch.cumsum(a == kth, dim=-1, dtype=torch.int32)  # [b, r, T], non-decreasing
    place = torch.arange(kk, device=a.device, dtype=torch.int32)
    wanted = (place - greater + 1).clamp_(min=1)  # the m-th equal entry fills place g + m - 1
    tie_index = torch.searchsorted(equal_count, wanted.contiguous()).clamp_(max=num_cols - 1)
    from_top = place < greater
    return torch.where(from_top, values, kth), torch.where(from_top, index, tie_index)


def _select_top_k(
    a: Tensor, k: int, threshold: float, row_mask: Optional[Tensor], chunk: int = _CHUNK,
    check_values: bool = True,
) -> Tuple[Tensor, Optional[Tensor]]:
    """Top-K of every row of ``a`` ``[b, r, T]`` with the documented tie rule.

    Returns ``(values, index)`` ``[b, r, K]`` (in no particular order within a row), or
    ``(a, None)`` when ``K >= T`` (every column is a candidate). ``threshold`` is on the scale of
    ``a``; only it decides whether a tie at the K-th place matters. Only ``topk`` (and, for long
    rows, the chunk pre-selection) touches the whole block. With ``check_values`` the tie rule
    is applied to the rows that need it, found on the host (one read); without it, to every row
    on the device (:func:`_break_ties_without_sync`, same result). Long rows (the chunk
    pre-selection, ``T >= 4 (K + 1) 64``: long videos at test time) always use the first way.
    """
    num_cols = a.shape[-1]
    kk = min(k, num_cols)
    if kk >= num_cols:
        return a, None
    preselect = num_cols >= _PRESELECT_FACTOR * (kk + 1) * chunk
    if not preselect and not check_values:
        values, index = a.topk(kk + 1, dim=-1, largest=True, sorted=True)
        return _break_ties_without_sync(a, values, index, kk)
    if preselect:
        candidates, columns = _preselect_chunks(a, kk, chunk)
        values, position = candidates.topk(kk + 1, dim=-1, largest=True, sorted=True)
        index = columns.gather(-1, position)
    else:
        # K + 1 largest, sorted: a tie across the K-th place shows as values[K-1] == values[K]
        values, index = a.topk(kk + 1, dim=-1, largest=True, sorted=True)
    kth = values[..., kk - 1]
    ambiguous = (kth == values[..., kk]) & (kth > threshold)  # ties at/below lambda are dropped
    values, index = values[..., :kk], index[..., :kk]
    if row_mask is not None:
        ambiguous &= row_mask
    if bool(ambiguous.any()):
        # Documented rule: keep every entry > the K-th value, then the tied entries with the
        # smallest column (source) index j. torch.topk picks arbitrarily among ties.
        sub, sub_kth = a[ambiguous], kth[ambiguous].unsqueeze(-1)  # [R, T], [R, 1]
        greater, equal = sub > sub_kth, sub == sub_kth
        need = kk - greater.sum(dim=-1, keepdim=True)
        chosen = greater | (equal & (equal.cumsum(dim=-1) <= need))
        sub_index = chosen.nonzero()[:, 1].view(-1, kk)
        index[ambiguous] = sub_index
        values[ambiguous] = sub.gather(1, sub_index)
    return values, index


def _to_edges(
    values: Tensor, source: Optional[Tensor], threshold: float, row_mask: Optional[Tensor]
) -> Tuple[Tensor, Optional[Tensor], Optional[Tensor], Tensor]:
    """Threshold (Eq. 4) and row-normalise the selected ``values`` ``[b, r, m]``.

    ``source`` ``[b, r, m]`` holds the source node ids of ``values`` (``None``: ``values`` are
    whole rows, the source is the position). Returns ``(flat_row, source, position, weight)`` of
    the kept entries in row-major order, where ``flat_row = video * r + local_row`` and
    ``position`` is the index within the row (only when ``source`` is ``None``).
    """
    m = values.shape[-1]
    keep = values > threshold
    if row_mask is not None:
        keep &= row_mask.unsqueeze(-1)
    row_sum = torch.where(keep, values, 0.0).sum(dim=-1)  # [b, r]
    inverse = torch.where(row_sum != 0, 1.0 / row_sum, 0.0).reshape(-1)  # zero rows stay zero
    # the one host read of the construction: the number of kept edges decides the output shape
    flat = keep.reshape(-1).nonzero().squeeze(1)
    flat_row = torch.div(flat, m, rounding_mode="floor")
    weight = values.reshape(-1)[flat] * inverse[flat_row]
    if source is None:
        return flat_row, None, flat - flat_row * m, weight
    return flat_row, source.reshape(-1)[flat], None, weight


@torch.no_grad()
def build_action_complement_graph(
    x: Tensor,
    mask: Optional[Tensor] = None,
    *,
    k: int = DEFAULT_GRAPH.k,
    threshold: float = DEFAULT_GRAPH.threshold,
    alpha: float = DEFAULT_GRAPH.alpha,
    z: int = DEFAULT_GRAPH.z,
    graph: str = DEFAULT_GRAPH.graph,
    block_size: Optional[int] = DEFAULT_GRAPH.block_size,
    check_values: bool = True,
) -> Tuple[Tensor, Tensor]:
    r"""Build the sparse action complement graph of every video in a batch.

    See the module docstring for the formulas (Eq. 1-4 and the row normalisation); the defaults are
    :data:`~tal_pyg.graph.params.DEFAULT_GRAPH`.

    Args:
        x: snippet features ``[T, D]`` (one video) or ``[B, T, D]`` (a padded batch).
        mask: ``[B, T]`` (or ``[T]``) bool, ``True`` for real snippets. Padded snippets are
            neither sources nor targets of any edge and do not take part in the top-K ranking.
        k: keep at most the ``K`` largest entries of each row of :math:`A`; ``min(K, T)`` is
            used, so ``K >= T`` means no top-K sparsification (a dense graph up to ``threshold``).
        threshold: :math:`\lambda`; only entries with :math:`A_{ij} > \lambda` are kept
            (``float("-inf")`` disables the criterion).
        alpha: :math:`\alpha`, weight of the temporal diffusion graph.
        z: :math:`Z`, diffusion range of Eq. 2 (entries with :math:`|i-j| \ge Z` get 1).
        graph: one of :data:`GRAPH_VARIANTS`.
        block_size: number of target rows of the dense matrix computed at once (over all
            videos of the batch). ``None`` derives it from :data:`DEFAULT_BLOCK_ELEMENTS`.
            If ``block_size >= T`` whole videos are processed together, otherwise one video
            at a time in row blocks. The result does not depend on it.
        check_values: read values on the host to reject NaN/inf (and rescue rows whose squared
            norm overflows). ``False`` (used inside :class:`~tal_pyg.nn.ACGNet` unless
            :func:`tal_pyg.set_debug` is on) reads only the edge count; the edges are the same for
            finite input whose squares do not overflow.

    Returns:
        ``(edge_index, edge_weight)``: ``edge_index`` ``[2, E]`` long with node id
        ``b * T + t`` (source ``j`` in row 0, target ``i`` in row 1), sorted by target then
        source; ``edge_weight`` ``[E]`` holds :math:`\hat A_{ij}` (rows sum to 1; a row
        without edges has none; if kept weights of a row sum to exactly 0, which needs
        ``threshold < 0``, its weights are 0).

    Notes:
        * Cosine similarity of a zero vector with anything is 0 (norms are clamped to
          ``1e-12``).
        * Ties at the K-th place: all entries strictly greater than the K-th largest value are
          kept, and among the entries *equal* to it the ones with the smallest column (source)
          index ``j`` fill the remaining places. The result is deterministic.
        * The diagonal is not removed and the graph is not symmetrised (with the defaults
          :math:`A_{ii} = 0.5 < \lambda`, so no self-loops survive).
        * Computed under ``torch.no_grad()`` with autocast off; ``float16``/``bfloat16``
          inputs are processed in ``float32``, ``float64`` stays ``float64``, so the edge set
          does not depend on the training precision.
    """
    x3, mask = _check_args(x, mask, k, threshold, alpha, z, graph, block_size, check_values)
    with torch.autocast(x3.device.type, enabled=False):  # top-K on the float32 similarity
        return _build(x3, mask, k, threshold, alpha, z, graph, block_size, check_values)


def _build(
    x3: Tensor, mask: Optional[Tensor], k: int, threshold: float, alpha: float, z: int, graph: str,
    block_size: Optional[int], check_values: bool,
) -> Tuple[Tensor, Tensor]:
    num_videos, num_nodes, _ = x3.shape
    device = x3.device
    if num_videos == 0 or num_nodes == 0:
        return (
            torch.empty(2, 0, dtype=torch.long, device=device),
            torch.empty(0, dtype=x3.dtype if x3.dtype == torch.float64 else torch.float32,
                        device=device),
        )
    dtype = torch.float64 if x3.dtype == torch.float64 else torch.float32
    if graph == "temporal_only":  # features only fix the length; still reject NaN/inf
        if check_values and not bool(torch.isfinite(x3).all()):
            raise ValueError(f"{_NAME}: x contains NaN or inf values")
        xn = x3.new_empty(num_videos, num_nodes, 0, dtype=dtype)
    else:
        xn = _unit_rows(x3, dtype, check_values)
    if block_size is None:
        block_size = max(1, DEFAULT_BLOCK_ELEMENTS // num_nodes)

    if block_size >= num_nodes:
        per_block = max(1, block_size // num_nodes)
        blocks = [
            (slice(b, min(b + per_block, num_videos)), slice(0, num_nodes))
            for b in range(0, num_videos, per_block)
        ]
    else:  # a single video is larger than the block: one video at a time, in row blocks
        blocks = [
            (slice(b, b + 1), slice(r, min(r + block_size, num_nodes)))
            for b in range(num_videos)
            for r in range(0, num_nodes, block_size)
        ]

    scaled_threshold = threshold * _matrix_scale(graph)  # exact: a power of two
    sources, targets, weights = [], [], []
    for videos, rows in blocks:
        selected = []
        for piece_rows, a in _block_pieces(xn[videos], rows, graph, alpha, z):
            piece_mask = None if mask is None else mask[videos, piece_rows]
            if mask is not None:
                a.masked_fill_(~mask[videos].unsqueeze(1), float("-inf"))  # padded sources
            selected.append(_select_top_k(a, k, scaled_threshold, piece_mask, check_values=check_values))
            del a
        if len(selected) == 1:
            values, index = selected[0]
        else:
            values = torch.cat([v for v, _ in selected], dim=1)
            index = None if selected[0][1] is None else torch.cat(
                [i for _, i in selected], dim=1)  # type: ignore[misc]  # all None or all tensors
        del selected
        # every block is either whole videos (rows.start == 0) or one video: node id of a row
        row_offset = videos.start * num_nodes + rows.start
        if index is not None:  # canonical order: sources ascending within a target
            index, order = index.sort(dim=-1)
            values = values.gather(-1, order)
            first_node = torch.arange(videos.start, videos.stop, device=device) * num_nodes
            index += first_node.view(-1, 1, 1)  # source node ids
        row_mask = None if mask is None else mask[videos, rows]
        flat_row, source, position, weight = _to_edges(values, index, scaled_threshold, row_mask)
        target = flat_row + row_offset
        if source is None:  # dense rows: the source is the position within the target's video
            local = target % num_nodes
            source = target - local + position
        sources.append(source)
        targets.append(target)
        weights.append(weight)
    if len(blocks) == 1:
        return torch.stack([sources[0], targets[0]], dim=0), weights[0]
    edge_index = torch.stack([torch.cat(sources), torch.cat(targets)], dim=0)
    return edge_index, torch.cat(weights)
