"""One training iteration of a WTAL model: every training phase of the head, in order.

Precision (``train.precision``, ``docs/gpu.md``): ``fp32`` (default), ``bf16`` or ``fp16`` run the
forward pass under :func:`torch.autocast`; the losses are computed in float32 on the outputs cast
back to float32 (``binary_cross_entropy`` is not autocast-safe); ``fp16`` scales the loss with a
:class:`torch.amp.GradScaler`. The action complement graph is always built from the float32
similarity (autocast is switched off inside the builder), so the edge set does not depend on it.
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Mapping, Optional

import torch
from torch import Tensor

#: ``train.precision`` values -> autocast dtype (``None``: no autocast).
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class MixedPrecision:
    """Autocast and loss scaling of one training run.

    Args:
        precision: a key of :data:`PRECISIONS`.
        device: the training device (autocast is per device type).

    ``fp16`` keeps a :class:`torch.amp.GradScaler` whose state belongs in the checkpoint
    (:meth:`state_dict`). Note that the scaler reads one value on the host per optimiser step (whether
    the gradients are finite): the one host synchronisation of an ``fp16`` step; ``fp32`` and ``bf16``
    have none.
    """

    def __init__(self, precision: str = "fp32", device: torch.device | str = "cpu") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"train.precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.precision = precision
        self.device = torch.device(device)
        self.dtype = PRECISIONS[precision]
        self.scaler = torch.amp.GradScaler(self.device.type) if precision == "fp16" else None

    @property
    def enabled(self) -> bool:
        return self.dtype is not None

    def autocast(self):
        """The context of the forward pass (a no-op for ``fp32``)."""
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def state_dict(self) -> Dict[str, Any]:
        return {} if self.scaler is None else self.scaler.state_dict()

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)


def _float32_outputs(output: Mapping[str, Any]) -> Dict[str, Any]:
    """Half-precision tensors of a forward output cast to float32 (the loss is computed in float32)."""
    return {k: v.float() if isinstance(v, Tensor) and v.dtype in (torch.float16, torch.bfloat16) else v
            for k, v in output.items()}


def train_iteration(
    model: torch.nn.Module,
    optimizers: Mapping[str, torch.optim.Optimizer],
    x: Tensor,
    mask: Optional[Tensor],
    y: Tensor,
    iteration: int,
    forward: Optional[torch.nn.Module] = None,
    grad_clip: Optional[float] = None,
    precision: Optional[MixedPrecision] = None,
    sync: bool = True,
) -> Dict[str, Any]:
    """Run each phase (``model.training_phases()``, one optimiser each): ``zero_grad``, forward,
    ``loss(output, y, phase)["total"].backward()``, optional gradient clipping, ``step``.

    ``forward`` is the module called for the forward pass (a DistributedDataParallel wrapper of
    ``model``); the losses come from ``model`` itself. ``precision`` (default fp32) sets autocast and
    the fp16 loss scaling.

    With ``sync=True`` (default) returns the loss terms as floats, keyed ``loss/<term>`` (one phase)
    or ``loss/<phase>/<term>``, and raises :class:`FloatingPointError` on a non-finite loss. With
    ``sync=False`` nothing is read on the host: the terms are returned as detached 0-dim tensors
    and the caller checks them when it reads them (the trainer does so at each log step and before
    each checkpoint, see :func:`first_nonfinite`).
    """
    forward = forward if forward is not None else model
    precision = precision or MixedPrecision("fp32", x.device)
    scaler = precision.scaler
    forward.train()
    model.on_train_iteration(iteration)
    logs: Dict[str, Any] = {}
    multi = len(optimizers) > 1
    for phase, opt in optimizers.items():
        opt.zero_grad(set_to_none=True)
        with precision.autocast():
            output = forward(x, mask)
        if precision.enabled:
            output = _float32_outputs(output)
        losses = model.loss(output, y, phase=phase)
        total = losses["total"]
        if sync and not torch.isfinite(total):
            raise FloatingPointError(f"iteration {iteration}: the {phase} loss is {total.item()}")
        (scaler.scale(total) if scaler is not None else total).backward()
        if grad_clip:
            if scaler is not None:
                scaler.unscale_(opt)
            params = [p for g in opt.param_groups for p in g["params"]]
            torch.nn.utils.clip_grad_norm_(params, grad_clip)
        if scaler is not None:
            scaler.step(opt)
        else:
            opt.step()
        for k, v in losses.items():
            logs[f"loss/{phase}/{k}" if multi else f"loss/{k}"] = float(v.detach()) if sync else v.detach()
    if scaler is not None:
        scaler.update()
    return logs


def total_keys(logs: Mapping[str, Any]) -> list:
    """The keys of the minimised totals in the logs of :func:`train_iteration` (one per phase)."""
    return [k for k in logs if k == "loss/total" or k.endswith("/total")]


def first_nonfinite(first: Optional[Tensor], logs: Mapping[str, Tensor], iteration: int) -> Tensor:
    """Track, on the device, the first iteration whose total loss was not finite (``-1``: none).

    ``first`` is the running value (``None`` at the start); no value is read on the host.
    """
    totals = torch.stack([logs[k].float() for k in total_keys(logs)])
    finite = torch.isfinite(totals).all()
    if first is None:
        first = torch.full((), -1, dtype=torch.long, device=totals.device)
    return torch.where(finite | (first >= 0), first, iteration)
