"""Hooks into the training loop of :class:`~tal_pyg.training.Trainer`.

A callback is a :class:`Callback` that overrides the hooks it needs; the loop calls them, in the order of
``Trainer(..., callbacks=[...])``, after each iteration and after each model-selection evaluation. A
callback may call :meth:`Trainer.request_stop`: the loop then ends after the current iteration, writes
``checkpoints/last.pt`` (unless that iteration just wrote it) and :meth:`Trainer.fit` returns
``{"stopped_at": iteration}`` without the final evaluation; ``resume=True`` (``tal-pyg train --resume``)
later continues the run and ends exactly as an uninterrupted one. Uses: a wall-clock budget on a cluster
whose jobs have a time limit (:class:`TimeLimit`), early stopping on the validation metric, custom logging.

A callback that raises stops the run as a crash would (nothing is written beyond the last checkpoint).

In a distributed run every process runs the callbacks: a stop must be requested on all of them at the
same iteration (decide on the iteration or on the broadcast evaluation metrics, not on a per-process
clock), or the processes wait on each other for ever.

``logs`` of :meth:`Callback.on_iteration_end` are the loss terms of the iteration: floats at a log step
(``train.log_every``), 0-dim device tensors otherwise; reading those on the host costs a device
synchronisation per iteration (``docs/gpu.md``).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Dict, Mapping

if TYPE_CHECKING:
    from tal_pyg.training.trainer import Trainer


class Callback:
    """The hooks of the training loop; each does nothing here (override those you need)."""

    def on_iteration_end(self, trainer: "Trainer", iteration: int, logs: Mapping[str, Any]) -> None:
        """After iteration ``iteration`` (1-based: the number of iterations done) and its logging,
        evaluation and checkpoint."""

    def on_evaluation_end(self, trainer: "Trainer", iteration: int, split: str, metrics: Dict[str, Any],
                          selection_value: float) -> None:
        """After a model-selection evaluation on ``split`` (``"val"``, or ``"test"`` under
        ``train.selection: test-oracle``); ``metrics`` as in ``eval.json``."""


class TimeLimit(Callback):
    """Stop the run once ``seconds`` of wall-clock time have passed since :meth:`Trainer.fit` began
    (checked after each iteration), leaving a checkpoint to resume from.

    Not for distributed runs (each process has its own clock): there, stop at an iteration instead.
    """

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"TimeLimit: seconds must be positive, got {seconds}")
        self.seconds = float(seconds)

    def on_iteration_end(self, trainer: "Trainer", iteration: int, logs: Mapping[str, Any]) -> None:
        if trainer.started_at is not None and time.time() - trainer.started_at >= self.seconds:
            trainer.request_stop()
