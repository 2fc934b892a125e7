"""Training, model selection and evaluation of one experiment (single process, DDP, resumable)."""
from tal_pyg.training.build import build_model, build_optimizers, load_model
from tal_pyg.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tal_pyg.training.trainer import Trainer, format_summary

__all__ = [
    "Trainer",
    "format_summary",
    "build_model",
    "build_optimizers",
    "load_model",
    "save_checkpoint",
    "load_checkpoint",
    "CheckpointError",
]
