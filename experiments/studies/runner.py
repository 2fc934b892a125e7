"""Running a study's grid: the missing or stale cells, in bounded chunks or one shard of two processes,
the result files rewritten after every cell."""
from __future__ import annotations

import json
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from .aggregate import aggregate
from .cells import CELL_LOCK, cell_is_current, find_identical_run, find_training_twin, move_stale, train_cell
from .grids import RESULTS, RUNS_ROOT, Cell, cells_for

#: trains one cell into its run folder and returns extra fields for ``cell.json`` (CPU seconds, ...)
Runner = Callable[[Cell, Path], Optional[Dict[str, Any]]]


def run_study(study: str, seeds: int = 1, preset: str = "small", runs_root: Optional[Path] = None,
              results_dir: Optional[Path] = None, max_cells: Optional[int] = None,
              time_budget: Optional[float] = None, runner: Runner = train_cell,
              cells: Optional[Sequence[Cell]] = None, log: Callable[[str], None] = print,
              shard: Optional[Tuple[int, int]] = None, only: Optional[Sequence[Cell]] = None,
              reuse: bool = True, poll_seconds: float = 30.0) -> Dict[str, Any]:
    """Run the missing (or stale) cells of ``study`` (bounded by ``max_cells`` / ``time_budget``; only the
    cells ``i % n == k`` for ``shard=(k, n)``; with ``only``, just those of the grid), then aggregate the
    whole grid. With ``reuse``, a cell whose exact config another study under ``runs_root`` has already
    trained is copied from there (``cell.json`` says from where) instead of being trained again; one that
    another runner is training right now (it holds the cell's ``cell.lock``) is deferred to the end of the
    call, then waited for (polled every ``poll_seconds``; the wait is not bounded by ``time_budget``) and
    copied, or trained here if that run failed."""
    import shutil

    from tal_pyg.utils.io import atomic_write_json
    from tal_pyg.utils.run_lock import RunLock, RunLockedError, is_locked

    runs_root = Path(runs_root or RUNS_ROOT)
    results_dir = Path(results_dir or RESULTS)
    cells = list(cells if cells is not None else cells_for(study, seeds, preset))
    wanted = None if only is None else {c.name for c in only}
    todo = cells if wanted is None else [c for c in cells if c.name in wanted]
    t0 = time.time()
    started = 0
    # (cell, deferred): a cell whose config another study runner is training right now goes to the end of
    # the queue, then waits for that run and reuses it, instead of training the same thing twice at once
    queue = [(cell, False) for i, cell in enumerate(todo) if shard is None or i % shard[1] == shard[0]]
    while queue:
        cell, deferred = queue.pop(0)
        out = runs_root / study / cell.name
        if (out / "eval.json").is_file():
            if cell_is_current(cell, out):
                continue
            log(f"[{study}] cell {cell.name}: the config changed since it ran; moved to "
                f"{move_stale(out).name}, running it again")
        if max_cells is not None and started >= max_cells:
            log(f"[{study}] --max-cells {max_cells} reached")
            break
        if time_budget is not None and time.time() - t0 >= time_budget:
            log(f"[{study}] --time-budget {time_budget:g} s reached")
            break
        twin = find_training_twin(cell, runs_root, exclude=out) if reuse else None
        if twin is not None and not deferred:
            log(f"[{study}] cell {cell.name}: the same config and seed is training in {twin}; "
                "deferred to the end of this call")
            queue.append((cell, True))
            continue
        if twin is not None:
            log(f"[{study}] cell {cell.name}: waiting for {twin} to finish")
            while is_locked(twin, CELL_LOCK):
                time.sleep(poll_seconds)
        source = find_identical_run(cell, runs_root, exclude=out) if reuse else None
        if source is not None:
            tmp = out.with_name(out.name + ".copying")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(source, tmp, ignore=shutil.ignore_patterns("run.lock", CELL_LOCK, "*.tmp"))
            tmp.rename(out)
            meta = json.loads((source / "cell.json").read_text()) if (source / "cell.json").is_file() else {}
            atomic_write_json(out / "cell.json", {**asdict(cell), "cpu_seconds": meta.get("cpu_seconds"),
                                                  "wall_seconds": meta.get("wall_seconds"),
                                                  "reused_from": str(source.relative_to(runs_root))})
            log(f"[{study}] cell {cell.name}: the same config and seed already ran in {source}; reused")
            continue
        try:
            lock = RunLock(out, CELL_LOCK).acquire()
        except RunLockedError:
            log(f"[{study}] cell {cell.name}: another study runner is training it in {out}; skipped")
            continue
        started += 1
        log(f"[{study}] cell {cell.name}: {cell.config} {' '.join(cell.overrides)} seed {cell.seed}")
        try:  # the lock covers cell.json too: a runner waiting on it copies a complete folder
            try:
                meta = runner(cell, out) or {}
            except Exception:  # one failed cell must not stop the grid; it is retried on the next call
                log(f"[{study}] cell {cell.name} FAILED:\n{traceback.format_exc()}")
                continue
            out.mkdir(parents=True, exist_ok=True)
            atomic_write_json(out / "cell.json", {**asdict(cell), **meta})
        finally:
            lock.release()
        aggregate(study, cells, runs_root, results_dir)
    summary = aggregate(study, cells, runs_root, results_dir)
    log(f"[{study}] {summary['finished']}/{summary['total']} cells finished -> {results_dir / (study + '.md')}")
    return summary


def parse_shard(text: str) -> Tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` with ``0 <= K < N``."""
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise SystemExit(f"--shard: expected K/N (e.g. 0/2), got {text!r}") from None
    if not 0 <= k < n:
        raise SystemExit(f"--shard {text}: need 0 <= K < N")
    return k, n

