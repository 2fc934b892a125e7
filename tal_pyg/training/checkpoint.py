"""Checkpoints: written atomically, read with ``torch.load(weights_only=True)``; a run's training state restored."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Mapping, Union

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


def restore_training_state(
    path: Union[str, Path],
    cfg: Any,
    model: torch.nn.Module,
    optimizers: Mapping[str, torch.optim.Optimizer],
    sampler: Any,
    precision: Any,
) -> Dict[str, Any]:
    """Load the training state of ``path`` (a ``checkpoints/last.pt``) into a run built from ``cfg``: the
    weights, the optimisers, the batch sampler, the fp16 loss scaler and the random number generators.
    Returns ``{"iteration": int, "best": dict}``.

    The random generators are restored last, so call it once the model is built: the run then continues
    the random stream of the interrupted one and ends with its weights and metrics (on CPU, bit for bit).

    Raises:
        CheckpointError: the configuration differs from the checkpoint's (runtime keys aside), or the
            weights or optimiser states do not fit.
    """
    import warnings

    from tal_pyg.config.dataclass_io import diff_keys, from_dict, to_dict
    from tal_pyg.config.experiment import RUNTIME_KEYS, ExperimentConfig
    from tal_pyg.training.reproducibility import set_rng_state

    state = load_checkpoint(path, map_location="cpu")
    try:  # read as this version reads it (a checkpoint of an earlier version: its flat head keys nested)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            saved = to_dict(from_dict(ExperimentConfig, state["config"]))
    except (ValueError, TypeError, KeyError) as e:
        raise CheckpointError(f"{path}: its configuration cannot be read by this version ({e})") from None
    diff = [k for k in diff_keys(saved, to_dict(cfg)) if k not in RUNTIME_KEYS]
    if diff:
        raise CheckpointError(f"{path}: the configuration differs from the run being resumed ({', '.join(diff)})")
    try:
        model.load_state_dict(state["model"])
        for k, opt in optimizers.items():
            opt.load_state_dict(state["optimizers"][k])
    except (KeyError, RuntimeError, ValueError) as e:
        raise CheckpointError(f"{path}: the checkpoint does not fit this run's model and optimisers "
                              f"({type(e).__name__}: {str(e).strip().splitlines()[0]})") from None
    sampler.load_state_dict(state["sampler"])
    precision.load_state_dict(state.get("grad_scaler", {}))
    set_rng_state(state["rng"])
    return {"iteration": int(state["iteration"]), "best": dict(state["best"])}
