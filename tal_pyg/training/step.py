"""One training iteration of a WTAL model: every training phase of the head, in order."""
from __future__ import annotations

from typing import Dict, Mapping, Optional

import torch
from torch import Tensor


def train_iteration(
    model: torch.nn.Module,
    optimizers: Mapping[str, torch.optim.Optimizer],
    x: Tensor,
    mask: Optional[Tensor],
    y: Tensor,
    iteration: int,
    forward: Optional[torch.nn.Module] = None,
    grad_clip: Optional[float] = None,
) -> Dict[str, float]:
    """Run each phase (``model.training_phases()``, one optimiser each): ``zero_grad``, forward,
    ``loss(output, y, phase)["total"].backward()``, optional gradient clipping, ``step``.

    ``forward`` is the module called for the forward pass (a DistributedDataParallel wrapper of
    ``model``); the losses come from ``model`` itself. Returns the loss terms as floats, keyed
    ``loss/<term>`` (one phase) or ``loss/<phase>/<term>``.
    """
    forward = forward if forward is not None else model
    forward.train()
    model.on_train_iteration(iteration)
    logs: Dict[str, float] = {}
    multi = len(optimizers) > 1
    for phase, opt in optimizers.items():
        opt.zero_grad(set_to_none=True)
        output = forward(x, mask)
        losses = model.loss(output, y, phase=phase)
        total = losses["total"]
        if not torch.isfinite(total):
            raise FloatingPointError(f"iteration {iteration}: the {phase} loss is {total.item()}")
        total.backward()
        if grad_clip:
            params = [p for g in opt.param_groups for p in g["params"]]
            torch.nn.utils.clip_grad_norm_(params, grad_clip)
        opt.step()
        for k, v in losses.items():
            logs[f"loss/{phase}/{k}" if multi else f"loss/{k}"] = float(v.detach())
    return logs
