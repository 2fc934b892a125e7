"""Pre-flight: check every video a run will read before its first iteration.

A NaN in one test video, a truncated file or an empty test split would otherwise be found only when the
final evaluation reaches it, after the whole training. :func:`open_checked_splits` opens both splits with
``validate="full"``: every ``.npy`` header is read, every array is memory-mapped and read once (shapes,
RGB/flow lengths, feature width, finiteness), and the problems of *all* videos are collected. Then

* ``data.on_error: raise`` (default): :class:`PreflightError` lists every bad file (one line each) and the
  run stops before it writes anything;
* ``data.on_error: skip``: the bad videos are left out, counted and reported in one line per split (and in
  ``eval.json`` under ``skipped_videos``).

Cost: one read of the features (measured in docs/reliability.md: ``benchmarks/preflight.py``).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, Tuple

from tal_pyg.config.experiment import DataConfig

#: bad files listed in the error message before "... and N more"
MAX_LISTED = 20


class PreflightError(ValueError):
    """Some videos of the run's splits are unreadable or invalid (the message lists them)."""


def open_checked_splits(
    cfg: DataConfig, log: Callable[[str], None] = print
) -> Tuple[Any, Any, Dict[str, Dict[str, str]]]:
    """``(train_set, test_set, {split: {video: problem}})`` after the full check of both splits.

    Raises:
        PreflightError: with ``cfg.on_error == "raise"`` and at least one bad video (all of them listed),
            or a split without any usable video.
    """
    from tal_pyg.training.data import open_split

    opened: Dict[str, Any] = {}
    bad: Dict[str, Dict[str, str]] = {}
    for role, split in (("train", cfg.train_split), ("test", cfg.test_split)):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*left out \d+ video")  # reported below instead
            ds = open_split(cfg, split, log, on_error="skip", validate="full")
        opened[role] = ds
        failed = dict(getattr(ds, "failed", {}))
        bad[split] = failed
        if failed and cfg.on_error == "skip":
            first = "; ".join(f"{v}: {r}" for v, r in list(failed.items())[:3])
            log(f"warning: pre-flight: left out {len(failed)} bad video(s) of split {split!r} "
                f"(data.on_error: skip): {first}{' ...' if len(failed) > 3 else ''}")
    problems = [(split, v, r) for split, failed in bad.items() for v, r in failed.items()]
    if problems and cfg.on_error != "skip":
        lines = [f"  {split}/{v}: {r}" for split, v, r in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(f"  ... and {len(problems) - MAX_LISTED} more")
        raise PreflightError(
            f"pre-flight: {len(problems)} bad video(s), nothing trained (fix them, or set data.on_error: skip "
            "to leave them out):\n" + "\n".join(lines))
    for role, split in (("train", cfg.train_split), ("test", cfg.test_split)):
        if len(opened[role]) == 0:
            why = f" ({len(bad[split])} bad, all left out)" if bad[split] else ""
            raise PreflightError(f"pre-flight: the {split!r} split has no videos{why}")
    return opened["train"], opened["test"], bad
