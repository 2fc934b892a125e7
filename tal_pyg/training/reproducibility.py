"""Seeding and capture/restore of every random number generator a training run draws from.

The captured state holds only tensors and Python scalars, so a checkpoint that contains it loads with
``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Any, Dict, Iterator

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def get_rng_state() -> Dict[str, Any]:
    """The state of every global generator, as tensors and Python scalars."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state: Dict[str, Any] = {
        "python": list(random.getstate()[1]) + [random.getstate()[0]],
        "python_gauss": random.getstate()[2],
        "numpy": {
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore what :func:`get_rng_state` captured."""
    py = state["python"]
    random.setstate((py[-1], tuple(int(v) for v in py[:-1]), state["python_gauss"]))
    n = state["numpy"]
    np.random.set_state(
        ("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"])
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextmanager
def isolated_rng(seed: int) -> Iterator[None]:
    """Run a block with the global torch and numpy generators seeded to ``seed``, then restore them.

    Used for per-sample randomness (random-perturbed sampling) that must not depend on how many
    processes share the batch or on what ran before.
    """
    np_state = np.random.get_state()
    py_state = random.getstate()
    with torch.random.fork_rng(devices=[]):
        # The CPU generator only: ``torch.manual_seed`` would also (lazily) re-seed every CUDA device
        # and record a stack trace per call (~2 ms, once per sampled video).
        torch.default_generator.manual_seed(seed)
        np.random.seed(seed % 2**32)
        random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
