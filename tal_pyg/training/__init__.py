"""Training, model selection and evaluation of one experiment (single process, DDP, resumable)."""
from tal_pyg.training.build import (
    TrainingData,
    build_model,
    build_optimizers,
    load_model,
    open_training_data,
    setup_process,
)
from tal_pyg.training.callbacks import Callback, TimeLimit
from tal_pyg.training.checkpoint import CheckpointError, load_checkpoint, restore_training_state, save_checkpoint
from tal_pyg.training.trainer import Trainer, format_summary

__all__ = [
    "Trainer",
    "Callback",
    "TimeLimit",
    "format_summary",
    "setup_process",
    "open_training_data",
    "TrainingData",
    "build_model",
    "build_optimizers",
    "load_model",
    "save_checkpoint",
    "load_checkpoint",
    "restore_training_state",
    "CheckpointError",
]
