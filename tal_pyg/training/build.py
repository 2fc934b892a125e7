"""Build the model and its optimisers from an :class:`~tal_pyg.config.ExperimentConfig`."""
from __future__ import annotations

from typing import Dict, List

import torch

from tal_pyg.config.experiment import ExperimentConfig, OptimConfig


def build_model(cfg: ExperimentConfig, in_channels: int, num_classes: int) -> torch.nn.Module:
    """The configured head, wrapped in :class:`~tal_pyg.models.WithACGNet` when ``model.acgnet.enabled``."""
    from tal_pyg.models import HEADS, WithACGNet
    from tal_pyg.nn import ACGNet

    head_cls, _ = HEADS[cfg.model.head]
    acg = cfg.model.acgnet
    if not acg.enabled:
        return head_cls(in_channels, num_classes, cfg.head_config())
    # output width per input channel: 1 (sum), or 1 + use_avg + use_gcn (concat)
    width_factor = ACGNet.output_channels(1, fusion=acg.fusion, use_avg=acg.use_avg, use_gcn=acg.use_gcn)
    head = head_cls(in_channels * width_factor, num_classes, cfg.head_config())
    return WithACGNet(head, acg.module_kwargs(), epm_weight=acg.epm_weight, epm_reduction=acg.epm_reduction)


def build_optimizers(model: torch.nn.Module, optim: OptimConfig) -> Dict[str, torch.optim.Optimizer]:
    """One optimiser per training phase the model declares (``model.training_phases()``)."""
    phases = model.training_phases()
    out: Dict[str, torch.optim.Optimizer] = {}
    for phase in phases:
        params = [p for p in phase.parameters if p.requires_grad]
        if not params:
            raise ValueError(f"training phase {phase.name!r} has no trainable parameters")
        out[phase.name] = make_optimizer(params, optim)
    return out


def make_optimizer(params: List[torch.nn.Parameter], optim: OptimConfig) -> torch.optim.Optimizer:
    name = optim.optimizer.lower()
    if name == "adam":
        return torch.optim.Adam(params, lr=optim.lr, betas=(optim.betas[0], optim.betas[1]),
                                weight_decay=optim.weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=optim.lr, betas=(optim.betas[0], optim.betas[1]),
                                 weight_decay=optim.weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=optim.lr, momentum=optim.momentum, weight_decay=optim.weight_decay)
    raise ValueError(f"optim.optimizer: unknown optimiser {optim.optimizer!r} (adam, adamw or sgd)")


def load_model(checkpoint: str, map_location: str = "cpu"):
    """Rebuild the model of a tal_pyg checkpoint: returns ``(model, config, checkpoint_state)``.

    Raises :class:`~tal_pyg.training.CheckpointError` when the weights do not fit the model its config
    describes (a checkpoint of another model, or an edited config).
    """
    from tal_pyg.config import from_dict
    from tal_pyg.config.experiment import ExperimentConfig
    from tal_pyg.training.checkpoint import CheckpointError, load_checkpoint

    state = load_checkpoint(checkpoint, map_location=map_location)
    for key in ("config", "model", "in_channels", "num_classes", "class_names"):
        if key not in state:
            raise CheckpointError(f"{checkpoint}: checkpoint has no '{key}' entry")
    cfg = from_dict(ExperimentConfig, state["config"])
    model = build_model(cfg, int(state["in_channels"]), int(state["num_classes"]))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise CheckpointError(
            f"{checkpoint}: the weights do not match a {cfg.model.head}"
            f"{' + ACGNet' if cfg.model.acgnet.enabled else ''} model with {state['in_channels']} input "
            f"channels and {state['num_classes']} classes ({first[1].strip() if len(first) > 1 else first[0]})"
        ) from None
    model.eval()
    return model, cfg, state
