"""One cell of a study: the overrides it trains with, whether its run folder is current, training it, and
the result record read back from its run folder (``eval.json``, ``metrics.jsonl``, ``predictions.json``)."""
from __future__ import annotations

import contextlib
import functools
import json
import math
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .analyses import cached_acgnet_branch_norms
from .grids import CONFIGS, ROOT, Cell

def best_validation(metrics_path: Path) -> Optional[Dict[str, float]]:
    """Best validation record (by average mAP, the trainer's selection metric) in a metrics.jsonl."""
    best = None
    if not metrics_path.is_file():
        return None
    for line in metrics_path.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("split") == "val" and "average_mAP" in rec:
            if best is None or rec["average_mAP"] > best["average_mAP"]:
                best = rec
    return best


def loss_magnitudes(metrics_path: Path) -> Dict[str, float]:
    """Mean of every ``loss/*`` over the second half of training (EPM vs head-loss magnitude)."""
    if not metrics_path.is_file():
        return {}
    recs = [json.loads(line) for line in metrics_path.read_text().splitlines()]
    recs = [r for r in recs if r.get("split") == "train"]
    recs = recs[len(recs) // 2:]
    out: Dict[str, float] = {}
    for key in sorted({k for r in recs for k in r if k.startswith("loss/")}):
        vals = [r[key] for r in recs if key in r and r[key] is not None and math.isfinite(r[key])]
        if vals:
            out[key] = sum(vals) / len(vals)
    return out


def cell_overrides(cell: Cell) -> List[str]:
    """The ``--set`` list a cell trains with: its overrides, its seed, no progress bar."""
    return [*cell.overrides, f"train.seed={cell.seed}", "train.progress=false"]


def saved_config(path: Path):
    """A run folder's ``config.yaml`` as a config, read once per file version (the reuse search compares every
    cell of a study with every finished run). Written by an earlier version, it may carry the flat proposal
    keys; their FutureWarning is meant for hand-written configs and is not repeated for the project's own
    run folders."""
    st = Path(path).stat()
    return _load_saved(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4096)
def _load_saved(path: str, mtime_ns: int, size: int):
    from tal_pyg.config import load_config

    with own_files_of_earlier_versions():
        return load_config(path)


@contextlib.contextmanager
def own_files_of_earlier_versions():
    """Read the project's own run folders and checkpoints without the flat proposal keys' FutureWarning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"model\.head_config\..* is deprecated", category=FutureWarning)
        yield


def cell_is_current(cell: Cell, out: Path) -> bool:
    """False when the run folder's resolved ``config.yaml`` differs from what the cell's config file and
    overrides give today (the config was edited after the cell ran); True when it matches or is absent."""
    saved = Path(out) / "config.yaml"
    if not saved.is_file():
        return True
    from tal_pyg.config import load_config

    return not saved_config(saved).differences(load_config(str(CONFIGS / cell.config), cell_overrides(cell)))


#: the lock a study runner holds on a cell's folder while it trains and evaluates the cell
CELL_LOCK = "cell.lock"


def _runs_like(cell: Cell, runs_root: Path, exclude: Optional[Path], keep) -> Optional[Path]:
    """The first run folder under ``runs_root`` that ``keep(folder)`` accepts and whose saved ``config.yaml``
    is the one ``cell`` trains (:data:`tal_pyg.config.RUNTIME_KEYS` aside)."""
    from tal_pyg.config import load_config

    want = load_config(str(CONFIGS / cell.config), cell_overrides(cell))
    for saved in sorted(Path(runs_root).glob("*/*/config.yaml")):
        run = saved.parent
        if run == exclude or ".stale-" in run.name or not keep(run):
            continue
        try:
            if not saved_config(saved).differences(want):
                return run
        except Exception:  # an unreadable or older config is simply not a match
            continue
    return None


def find_identical_run(cell: Cell, runs_root: Path, exclude: Optional[Path] = None) -> Optional[Path]:
    """A finished run folder of any study under ``runs_root`` whose saved ``config.yaml`` is the one this
    cell trains (same config, overrides and seed; :data:`tal_pyg.config.RUNTIME_KEYS` aside), else ``None``.
    A grid that repeats another study's cell under the same protocol reuses it instead of training again."""
    return _runs_like(cell, runs_root, exclude, lambda run: (run / "eval.json").is_file())


def find_training_twin(cell: Cell, runs_root: Path, exclude: Optional[Path] = None) -> Optional[Path]:
    """A run folder under ``runs_root`` that another study runner is training right now (it holds
    :data:`CELL_LOCK`) with this cell's config and seed, else ``None``: the cell waits for it and reuses it."""
    from tal_pyg.utils.run_lock import is_locked

    return _runs_like(cell, runs_root, exclude,
                      lambda run: not (run / "eval.json").is_file() and is_locked(run, CELL_LOCK))


def move_stale(out: Path) -> Path:
    """Move a stale run folder aside to ``<cell>.stale-N`` (the first free N) and return the new path."""
    n = 1
    while out.with_name(f"{out.name}.stale-{n}").exists():
        n += 1
    target = out.with_name(f"{out.name}.stale-{n}")
    out.rename(target)
    return target


def train_cell(cell: Cell, out: Path, runtime: Sequence[str] = ()) -> Dict[str, float]:
    """Default runner: train + select (validation) + test in this process, CPU time to ``cell.json``.
    ``runtime``: extra overrides of :data:`tal_pyg.config.RUNTIME_KEYS` (``train.num_threads=1``)."""
    from tal_pyg.cli.train import train_and_evaluate

    t0, w0 = time.process_time(), time.time()
    # a cell interrupted mid-run (killed, machine lost) continues from its last checkpoint, bit for bit
    resume = (Path(out) / "checkpoints" / "last.pt").is_file()
    train_and_evaluate(str(CONFIGS / cell.config), str(out), [*cell_overrides(cell), *runtime], resume=resume)
    return {"cpu_seconds": round(time.process_time() - t0, 1), "wall_seconds": round(time.time() - w0, 1)}


def _epm_weight_of(out: Path) -> Optional[float]:
    a = saved_config(Path(out) / "config.yaml").model.acgnet
    return float(a.epm_weight) if a.enabled else None


def _safe(fn, *a):
    try:
        return fn(*a)
    except Exception:  # diagnostics only: never lose a result record over them
        return None


def cell_record(cell: Cell, out: Path) -> Optional[Dict[str, Any]]:
    """The result record of a finished cell (``None`` while ``eval.json`` is missing)."""
    ev_path = out / "eval.json"
    if not ev_path.is_file() or not cell_is_current(cell, out):
        return None
    ev = json.loads(ev_path.read_text())
    meta = json.loads((out / "cell.json").read_text()) if (out / "cell.json").is_file() else {}
    val = best_validation(out / "metrics.jsonl")
    rec = {
        "cell": cell.name, "row": cell.row, "config": f"experiments/configs/{cell.config}",
        "overrides": cell.overrides, "seed": cell.seed, **cell.info,
        "tiou_thresholds": ev["tiou_thresholds"],
        "test_mAP": [100 * v for v in ev["mAP"]],
        "test_average_mAP": 100 * ev["average_mAP"],
        "classification_mAP": 100 * ev["classification_mAP"] if ev.get("classification_mAP") is not None else None,
        "val_average_mAP": None if val is None else 100 * val["average_mAP"],
        "val_classification_mAP": (None if val is None or val.get("classification_mAP") is None
                                   else 100 * val["classification_mAP"]),
        "selected_iteration": ev.get("selected_iteration"),
        "losses": loss_magnitudes(out / "metrics.jsonl"),
        "proposals": _safe(proposal_statistics, out),
        "epm_weight_used": _safe(_epm_weight_of, out),
        "acgnet_branches": _safe(cached_acgnet_branch_norms, out) if cell.config.endswith("_acgnet.yaml") else None,
        "cpu_seconds": meta.get("cpu_seconds"), "wall_seconds": meta.get("wall_seconds"),
        "run_dir": str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out),
    }
    return rec


_GT_CACHE: Dict[str, Any] = {}


def proposal_statistics(run_dir: Path) -> Optional[Dict[str, float]]:
    """Shape of a run's test detections against the ground truth (from predictions.json + config.yaml).

    proposals per video; mean length (s) of each video's 10 best proposals vs the mean ground-truth length;
    per ground-truth instance the best tIoU among proposals of its class (mean, and share >= 0.5).
    """
    run_dir = Path(run_dir)
    if not (run_dir / "predictions.json").is_file() or not (run_dir / "config.yaml").is_file():
        return None
    from tal_pyg.evaluation import segment_tiou
    from tal_pyg.training.data import synthetic_root

    cfg = saved_config(run_dir / "config.yaml")
    try:
        root = synthetic_root(cfg.data) if cfg.data.root is None else Path(cfg.data.root)
    except KeyError:
        return None
    key = str(root)
    if key not in _GT_CACHE:
        _GT_CACHE[key] = json.loads((root / "gt.json").read_text())["database"]
    gt = _GT_CACHE[key]
    preds = json.loads((run_dir / "predictions.json").read_text())["results"]
    n, top_len, gt_len, best = [], [], [], []
    for video, d in gt.items():
        if d.get("subset") != "test":
            continue
        props = preds.get(video, [])
        n.append(len(props))
        for a in d["annotations"]:
            s, e = a["segment"]
            gt_len.append(e - s)
            same = np.array([p["segment"] for p in props if p["label"] == a["label"]], dtype=float).reshape(-1, 2)
            best.append(float(segment_tiou(s, e, same[:, 0], same[:, 1], empty=0.0).max()) if len(same) else 0.0)
        top_len += [p["segment"][1] - p["segment"][0] for p in sorted(props, key=lambda p: -p["score"])[:10]]
    mean = lambda v: sum(v) / len(v) if v else float("nan")  # noqa: E731
    return {"proposals_per_video": mean(n), "top10_mean_length_s": mean(top_len), "gt_mean_length_s": mean(gt_len),
            "mean_best_tiou": mean(best), "share_gt_best_tiou_ge_0.5": mean([float(b >= 0.5) for b in best])}
