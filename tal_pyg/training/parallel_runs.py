"""Independent training runs (seeds, configs) in parallel worker processes.

Each run is ``train_and_evaluate(config, out, overrides)`` in a ``spawn``-ed process (no state shared
with the parent, so a run is the same whether it ran alone or beside others, at equal
``train.num_threads``), its console output written to ``<out>.log``.
"""
from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Sequence, Tuple

__all__ = ["TrainingRun", "run_in_processes"]


@dataclass(frozen=True)
class TrainingRun:
    """One run: ``config`` (YAML path), ``out`` (run folder) and ``overrides`` (``key=value``)."""

    config: str
    out: str
    overrides: Tuple[str, ...] = field(default_factory=tuple)


def _train(run: TrainingRun) -> Dict[str, Any]:
    from tal_pyg.cli.train import train_and_evaluate

    with open(f"{run.out}.log", "w", encoding="utf-8") as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        return train_and_evaluate(run.config, run.out, list(run.overrides))


def run_in_processes(runs: Sequence[TrainingRun], workers: int = 2) -> Iterator[Tuple[TrainingRun, Dict[str, Any]]]:
    """Train ``runs`` in ``workers`` processes; yields ``(run, eval metrics)`` in order of completion.

    A failed run raises its exception here (after the runs already started have finished).
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    runs: List[TrainingRun] = list(runs)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_train, run): run for run in runs}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
