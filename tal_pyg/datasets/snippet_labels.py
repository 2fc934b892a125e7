r"""Snippet-level ground truth from segment annotations (for analysis, calibration and diagnostics).

WTAL training never uses it; it answers questions such as "which graph edges join two action
snippets?". Snippet ``t`` covers seconds ``[t s, (t + 1) s)`` (``s`` = seconds per step); its label is
the class of the segment that covers the largest part of it, if that part is at least
``min_overlap`` of the snippet, else background (``-1``):

.. math::
    \text{label}_t = \begin{cases} c_k, & k = \arg\max_k |[t s, (t+1) s) \cap [a_k, b_k)|
        \text{ and that overlap} \ge \text{min\_overlap} \cdot s \\ -1 & \text{otherwise.} \end{cases}
"""
from __future__ import annotations

import torch
from torch import Tensor


def snippet_labels(gt_segments: Tensor, gt_labels: Tensor, num_steps: int, step_seconds: float,
                   min_overlap: float = 0.5) -> Tensor:
    """``[num_steps]`` long: class of each step (``-1`` = background).

    Args:
        gt_segments: ``[K, 2]`` seconds ``(start, end)``.
        gt_labels: ``[K]`` class ids.
        num_steps: number of steps ``T`` of the (possibly resampled) sequence.
        step_seconds: seconds per step (``Data.snippet_seconds``).
        min_overlap: minimal covered fraction of a step to count as action.
    """
    t = torch.arange(num_steps, dtype=torch.float64)
    lo, hi = t * step_seconds, (t + 1) * step_seconds
    if gt_segments.numel() == 0:
        return torch.full((num_steps,), -1, dtype=torch.long)
    seg = gt_segments.to(torch.float64)
    overlap = (torch.minimum(hi[:, None], seg[None, :, 1]) - torch.maximum(lo[:, None], seg[None, :, 0])).clamp(min=0)
    best, k = overlap.max(dim=1)
    out = gt_labels.long()[k]
    out[best < min_overlap * step_seconds] = -1
    return out
