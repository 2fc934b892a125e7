"""Masked pooling helpers shared by the heads (padding never counts)."""
from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor

from tal_pyg.debug import is_debug_enabled


def ratio_k(lengths: Tensor, ratio: float) -> Tensor:
    """``max(1, floor(length / ratio))`` per video, as ``long`` (``k = T // 8`` etc. of the reference code)."""
    return torch.clamp(torch.div(lengths.to(torch.float64), float(ratio), rounding_mode="floor"), min=1).long()


def _static_k_max(k: Tensor, num_snippets: int) -> int:
    """How many places to take in the top-k helpers: ``T`` itself, known on the host.

    ``k.max()`` would be tighter but reading it is a device->host copy every training step; the
    places ``j >= k_b`` are masked out anyway, so the result does not change, and with the trainer's
    fixed-length sampling ``T`` is at most a few times ``k_b`` (``k = T // 8``, BaS-Net). In debug mode
    ``k`` is checked against ``1 <= k_b <= T``.
    """
    if is_debug_enabled() and k.numel() and not bool(((k >= 1) & (k <= num_snippets)).all()):
        raise ValueError(f"top-k: every k_b must lie in [1, {num_snippets}], got {k.tolist()}")
    return int(num_snippets)


def masked_topk_mean(values: Tensor, mask: Tensor, k: Tensor) -> Tensor:
    r"""Mean of the ``k_b`` largest values over time, per video and channel, padding excluded.

    .. math:: s_{b,c} = \frac{1}{k_b} \sum_{t \in \mathrm{top}\text{-}k_b(v_{b,\cdot,c})} v_{b,t,c}

    Args:
        values: ``[B, T, C]``.
        mask: ``[B, T]`` bool, True = real snippet.
        k: ``[B]`` long, ``1 <= k_b <= length_b``.

    Returns:
        ``[B, C]``.
    """
    k_max = _static_k_max(k, values.shape[1])
    filled = values.masked_fill(~mask.unsqueeze(-1), float("-inf"))
    top = filled.topk(k_max, dim=1).values  # [B, k_max, C]
    take = (torch.arange(k_max, device=values.device).unsqueeze(0) < k.unsqueeze(1)).unsqueeze(-1)
    top = torch.where(take, top, torch.zeros((), dtype=top.dtype, device=top.device))
    return top.sum(dim=1) / k.unsqueeze(1).to(values.dtype)


def masked_topk_indices(scores: Tensor, mask: Tensor, k: Tensor) -> Tuple[Tensor, Tensor]:
    """Indices of the ``k_b`` highest ``scores`` of each video (stable order on ties, padding never chosen).

    Args:
        scores: ``[B, T]``.
        mask: ``[B, T]`` bool.
        k: ``[B]`` long.

    Returns:
        ``(index [B, k_max] long, take [B, k_max] bool)``: ``take[b, j]`` is ``j < k_b``.
    """
    k_max = _static_k_max(k, scores.shape[1])
    filled = scores.masked_fill(~mask, float("-inf"))
    order = torch.sort(filled, dim=1, descending=True, stable=True).indices[:, :k_max]
    take = torch.arange(k_max, device=scores.device).unsqueeze(0) < k.unsqueeze(1)
    return order, take


def gather_mean(x: Tensor, index: Tensor, take: Tensor) -> Tensor:
    """Mean of ``x[b, index[b, j]]`` over the ``j`` with ``take[b, j]``: ``x`` ``[B, T, ...]`` -> ``[B, ...]``."""
    b = torch.arange(x.shape[0], device=x.device).unsqueeze(1)
    picked = x[b, index]  # [B, k, ...]
    w = take.to(x.dtype)
    w = w.reshape(w.shape + (1,) * (x.dim() - 2))
    return (picked * w).sum(dim=1) / take.sum(dim=1).to(x.dtype).reshape((-1,) + (1,) * (x.dim() - 2))
