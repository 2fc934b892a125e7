"""Checkpoints: written atomically, read with ``torch.load(weights_only=True)``."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Union

import torch

from tal_pyg.utils.io import atomic_torch_save

CHECKPOINT_FORMAT = "tal_pyg.checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, or does not belong to the model at hand."""


def save_checkpoint(path: Union[str, Path], state: Dict[str, Any]) -> None:
    """Write ``state`` (tensors, dicts, lists, Python scalars only) to ``path`` atomically."""
    atomic_torch_save({"format": CHECKPOINT_FORMAT, **state}, path)


def load_checkpoint(path: Union[str, Path], map_location: Any = "cpu") -> Dict[str, Any]:
    """Read a tal_pyg checkpoint safely (no unpickling of arbitrary objects)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # pickle errors, truncated files, foreign objects
        raise CheckpointError(f"{path}: cannot be read as a tal_pyg checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a tal_pyg checkpoint (no '{CHECKPOINT_FORMAT}' format tag)")
    return state
