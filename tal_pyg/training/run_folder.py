"""The run folder of a training run: locked, cleaned of a killed write's leftovers, never overwritten.

What the user sees for each fault: docs/reliability.md.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Tuple

from tal_pyg.training.distributed import DistributedContext
from tal_pyg.utils.io import atomic_write_text, remove_stale_temporaries
from tal_pyg.utils.run_lock import RunLock


def open_run_folder(out_dir: Path, resume: bool, ctx: DistributedContext,
                    log: Callable[[str], None] = print) -> Tuple[Optional[RunLock], bool]:
    """Lock ``out_dir`` (main process), remove the temporary files an interrupted write left behind, and
    refuse to overwrite a run. Returns ``(lock, resumable)``: the held lock (``None`` on the other processes;
    the caller releases it) and whether there is a ``checkpoints/last.pt`` to resume from (``resume``
    before the first checkpoint starts the run).

    Raises:
        RunLockedError: another run holds the folder.
        ValueError: ``out_dir`` already holds a run and ``resume`` is false.
    """
    last = out_dir / "checkpoints" / "last.pt"
    lock: Optional[RunLock] = None
    if ctx.is_main:
        lock = RunLock(out_dir).acquire()
        try:
            stale = [p for d in (out_dir, last.parent) for p in remove_stale_temporaries(d)]
            if stale:
                log(f"removed {len(stale)} temporary file(s) left by an interrupted write: "
                    + ", ".join(str(p) for p in stale[:5]) + (" ..." if len(stale) > 5 else ""))
            if not resume and last.exists():
                raise ValueError(
                    f"{out_dir} already holds a run (checkpoints/last.pt): pass --resume to continue it, "
                    "or choose another --out"
                )
            if resume and not last.exists():
                log(f"{out_dir}: no checkpoints/last.pt to resume from: starting the run")
        except BaseException:
            lock.release()
            raise
    ctx.barrier()
    return lock, resume and last.exists()


def start_run_folder(out_dir: Path, config_yaml: str) -> None:
    """A new run: create ``out_dir``, drop the metrics of an earlier unfinished start, write ``config.yaml``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.jsonl").unlink(missing_ok=True)
    atomic_write_text(out_dir / "config.yaml", config_yaml)
