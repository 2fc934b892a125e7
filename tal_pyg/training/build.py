"""Build the pieces of a training run from an :class:`~tal_pyg.config.ExperimentConfig`.

Each function builds one thing and can be called (and tested) on its own; :class:`~tal_pyg.training.Trainer`
composes them in this order, which fixes the random stream of a run (the seed is set before the data are
opened and the model is initialised):

* :func:`setup_process`: threads, device, the process group of a ``torchrun`` launch, determinism;
* :func:`open_training_data`: both splits after the pre-flight check, the train/validation split, the
  transforms and the tIoU thresholds (:class:`TrainingData`);
* :func:`build_model`, :func:`build_optimizers` (and :class:`~tal_pyg.training.step.MixedPrecision` for
  the loss scaler);
* :func:`~tal_pyg.training.checkpoint.restore_training_state`: a resumed run's state.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

from tal_pyg.config.dataclass_io import ConfigError
from tal_pyg.config.experiment import ExperimentConfig, OptimConfig, TrainConfig
from tal_pyg.training.distributed import DistributedContext, init_distributed
from tal_pyg.utils.device import resolve_device


def setup_process(tcfg: TrainConfig, device: Optional[str] = None) -> Tuple[torch.device, DistributedContext]:
    """Prepare this process for training: ``train.num_threads``, the device (``device`` overrides
    ``train.device``; under ``torchrun`` each CUDA process takes its ``LOCAL_RANK``), the process group, and
    ``train.deterministic``. Returns ``(device, context)``."""
    if tcfg.num_threads:
        torch.set_num_threads(tcfg.num_threads)
    resolved = resolve_device(device or tcfg.device, 0)
    ctx = init_distributed(resolved)
    if ctx.enabled and resolved.type == "cuda":
        resolved = torch.device("cuda", ctx.local_rank)
    if tcfg.deterministic:
        torch.use_deterministic_algorithms(True)
    return resolved, ctx


@dataclass
class TrainingData:
    """The data of one run: both splits (after the pre-flight check), which training videos train and which
    select the model, the sampling transforms and the tIoU thresholds of the evaluation."""

    train_set: Any
    test_set: Any
    skipped_videos: Dict[str, Dict[str, str]]  # split -> {video: problem} left out by data.on_error: skip
    class_names: List[str]
    train_idx: List[int]
    val_idx: List[int]
    train_transform: Any
    eval_transform: Any
    tious: np.ndarray
    in_channels: int

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def open_training_data(cfg: ExperimentConfig, log: Callable[[str], None] = print,
                       ctx: Optional[DistributedContext] = None) -> TrainingData:
    """Open and check the splits of ``cfg.data`` (:func:`~tal_pyg.training.preflight.open_checked_splits`).

    A synthetic benchmark is generated into its cache folder on first use; in a distributed run only the
    main process generates it, the others wait for it.

    Raises:
        PreflightError: bad videos (``data.on_error: raise``) or an empty split.
        ConfigError: ``optim.batch_size`` not divisible by the number of processes.
        ValueError: the two splits have different class lists.
    """
    from tal_pyg.training import data as data_mod
    from tal_pyg.training.preflight import open_checked_splits

    ctx = ctx or DistributedContext()
    dcfg = cfg.data
    if cfg.optim.batch_size % ctx.world_size:
        raise ConfigError(f"optim.batch_size ({cfg.optim.batch_size}) must be divisible by the number of "
                          f"processes ({ctx.world_size})")
    if ctx.is_main and dcfg.dataset in data_mod.SYNTHETIC_PRESET_OF:
        data_mod.ensure_synthetic(dcfg, log)
    ctx.barrier()
    train_set, test_set, skipped = open_checked_splits(dcfg, log)
    class_names = list(train_set.class_names)
    if list(test_set.class_names) != class_names:
        raise ValueError("the train and test splits have different class lists")
    train_idx, val_idx = data_mod.split_train_val(len(train_set), dcfg.val_fraction, cfg.train.seed)
    return TrainingData(
        train_set=train_set, test_set=test_set, skipped_videos=skipped, class_names=class_names,
        train_idx=train_idx, val_idx=val_idx, train_transform=data_mod.train_transform(dcfg),
        eval_transform=data_mod.eval_transform(dcfg, cfg.model.head), tious=data_mod.tiou_thresholds(dcfg),
        in_channels=int(train_set[train_idx[0]].x.shape[-1]),
    )


def build_model(cfg: ExperimentConfig, in_channels: int, num_classes: int) -> torch.nn.Module:
    """The configured head, wrapped in :class:`~tal_pyg.models.WithACGNet` when ``model.acgnet.enabled``."""
    from tal_pyg.models import HEADS, WithACGNet
    from tal_pyg.models.with_acgnet import keep_seeded_init
    from tal_pyg.nn import ACGNet

    head_cls, _ = HEADS[cfg.model.head]
    acg = cfg.model.acgnet
    if not acg.enabled:
        return head_cls(in_channels, num_classes, cfg.head_config())
    # output width per input channel: 1 (sum), or 1 + use_avg + use_gcn (concat)
    width_factor = ACGNet.output_channels(1, fusion=acg.fusion, use_avg=acg.use_avg, use_gcn=acg.use_gcn)
    keep_seeded_init(acg.num_layers)
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
    try:
        cfg = from_dict(ExperimentConfig, state["config"])
        model = build_model(cfg, int(state["in_channels"]), int(state["num_classes"]))
    except (ValueError, KeyError, TypeError) as e:  # ConfigError: a config this version cannot build
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        raise CheckpointError(f"{checkpoint}: the model of this checkpoint cannot be built ({msg})") from None
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
