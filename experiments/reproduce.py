#!/usr/bin/env python
"""Reproduce the paper's studies on the synthetic benchmark, cell by cell, resumable.

    python experiments/reproduce.py --study epm                  # choose epm_weight on the validation split
    python experiments/reproduce.py --study table1 --seeds 3     # 3 heads x (baseline, +ACGNet)
    python experiments/reproduce.py --study table3               # G1/G2/G3 x K, + temporal-only
    python experiments/reproduce.py --study table4               # ACGNet components
    python experiments/reproduce.py --study lambda               # lambda with / without top-K (Figure 4)
    python experiments/reproduce.py --study table2-tuning        # validation sweep of BaS-Net / BaM training values
    python experiments/reproduce.py --study table2 --seeds 6     # anet-like-small (DGAM, BaS-Net, BaM x +-ACGNet)
    python experiments/reproduce.py --study incompleteness       # post-hoc: harder snippets (occlusion 50-95 %)
    python experiments/reproduce.py --study graphstats           # ACG statistics on the benchmark (no training)
    options: --preset small|full  --max-cells N  --time-budget SECONDS  --shard K/N  --threads N  --list
             --commit  --aggregate-only

A *cell* is one config + overrides + training seed; its run folder is
``runs/reproduce/<study>/<cell>/`` (``--runs-root``). Cells whose ``eval.json`` exists are skipped, so the
grid can run in bounded chunks; a finished cell whose saved ``config.yaml`` no longer matches its config file
+ overrides (the config was edited since) is *stale*: it is left out of the results, and the next run moves
it to ``<cell>.stale-N`` and trains it again. ``--shard K/N`` runs only the cells ``i`` with ``i % N == K``
(two processes on a 2-core machine); run ``--aggregate-only`` once both are done. Bounded chunks:
``--max-cells`` / ``--time-budget`` (no new cell starts after that many seconds). After every cell ``experiments/results/<study>.json`` (one record per finished cell: config,
overrides, seed, test mAP per tIoU, average and classification mAP, the validation selection metric, the
EPM / head loss magnitudes, CPU seconds) and ``<study>.md`` (mean ± std over seeds in the paper's layout,
the paper's numbers next to it, the number of seeds per row) are rewritten from the run folders, and a
PNG for the sweeps (table3, lambda). ``--commit`` commits experiments/results after every cell.

``--preset small`` (default) uses the ``synthetic-small_*`` configs (thumos-like-small, D = 256, T = 100,
K = T/10 = 10): the D = 2048 ``synthetic`` preset (``--preset full``) is beyond a 2-core CPU's budget.
Model selection is always on the validation videos carved from the training split (never on test).
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "experiments" / "configs"
RESULTS = ROOT / "experiments" / "results"
TIOUS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
HEAD_NAMES = {"basnet": "BaS-Net", "bam": "BaM", "dgam": "DGAM"}

# ------------------------------------------------------------------------------------------------
# the paper's numbers (THUMOS'14, D = 2048 I3D features), for reference only
PAPER_TABLE1 = {  # mAP@0.1..0.7, average; "*" = the paper's re-implementation of each baseline
    "basnet": ([57.5, 51.6, 44.3, 35.5, 26.8, 18.6, 10.2], 34.9),
    "basnet_acgnet": ([58.8, 53.3, 46.4, 38.3, 29.8, 20.9, 11.2], 37.0),
    "dgam": ([59.4, 53.4, 46.1, 37.0, 27.8, 19.5, 11.0], 36.3),
    "dgam_acgnet": ([62.5, 55.9, 48.2, 39.5, 29.6, 20.4, 11.2], 38.2),
    "bam": ([66.6, 59.8, 51.3, 43.0, 33.4, 22.4, 12.1], 41.2),
    "bam_acgnet": ([68.1, 62.6, 53.1, 44.6, 34.7, 22.6, 12.0], 42.5),
}
PAPER_TABLE2 = {  # ActivityNet1.2: mAP@0.5, 0.75, 0.95, average
    "basnet": ([36.9, 23.3, 5.1], 22.4), "basnet_acgnet": ([40.8, 25.3, 5.6], 25.1),
    "bam": ([40.8, 24.9, 5.8], 25.6), "bam_acgnet": ([41.8, 26.0, 5.9], 26.1),
    "dgam": ([40.3, 23.2, 5.0], 24.0), "dgam_acgnet": ([41.4, 24.2, 5.5], 24.9),
}
PAPER_TABLE3 = {  # mAP@0.5 by K (at T = 750; 750 = dense) and graph
    "similarity": {1: 19.3, 5: 21.8, 20: 26.8, 50: 28.0, 200: 27.5, 750: 25.9},
    "similarity_minus_temporal": {1: 19.7, 5: 21.6, 20: 25.9, 50: 27.2, 200: 26.6, 750: 25.1},
    "full": {1: 22.2, 5: 24.3, 20: 28.1, 50: 29.8, 200: 28.6, 750: 25.3},
    "temporal_only": {50: 22.1},
}
# Table 4 (mAP@0.5), as we read the extracted text of the paper (check marks per row).
PAPER_TABLE4 = {
    "i3d": 26.8, "avg_only": 19.7, "i3d+avg(sum)": 28.5, "i3d+avg(concat)": 29.1,
    "i3d+gcn(sum,no-epm)": 26.2, "i3d+gcn(concat,no-epm)": 27.3, "gcn+epm": 22.4, "avg+gcn+epm": 22.2,
    "i3d+gcn+epm(sum)": 29.0, "i3d+gcn+epm(concat)": 29.1, "i3d+avg+gcn(sum,no-epm)": 28.2,
    "i3d+avg+gcn+epm(sum)": 29.8, "i3d+avg+gcn+epm(concat)": 28.7,
}
# table2-tuning: the head-specific auxiliary loss weight swept next to dropout and weight decay
TABLE2_TUNING_AUX = {"basnet": ("norm_weight", (1e-4, 1e-5, 0.0)), "bam": ("um_weight", (5e-4, 5e-5))}
STUDIES = ("table1", "table2", "table2-tuning", "table3", "table4", "lambda", "epm", "incompleteness")
GRAPH_LABELS = {"similarity": "G1 = Gs", "similarity_minus_temporal": "G2 = Gs − Gt", "full": "G3 = Gs + Gt",
                "temporal_only": "Gt only"}


@dataclass
class Cell:
    """One training run of a study: ``config`` + ``overrides`` + ``seed``; ``row`` groups seeds."""

    study: str
    name: str            # run folder name (unique within the study)
    row: str             # aggregation key (cells differing only by seed share it)
    config: str          # path relative to experiments/configs
    overrides: List[str] = field(default_factory=list)
    seed: int = 0
    info: Dict[str, Any] = field(default_factory=dict)  # study-specific labels (K, graph, lambda, ...)


def _prefix(preset: str) -> str:
    if preset == "small":
        return "synthetic-small"
    if preset == "full":
        return "synthetic"
    raise ValueError(f"--preset: expected small or full, got {preset!r}")


def _cfg(prefix: str, head: str, acg: bool) -> str:
    return f"{prefix}_{head}{'_acgnet' if acg else ''}.yaml"


def _num_segments(config: str) -> int:
    from tal_pyg.config import load_config

    return int(load_config(str(CONFIGS / config)).data.num_segments)


def cells_for(study: str, seeds: int = 1, preset: str = "small") -> List[Cell]:
    """The grid of ``study`` (``seeds`` training seeds per row; ablations default to 1)."""
    p = _prefix(preset)
    out: List[Cell] = []
    if study == "epm":
        for w in (0.0, 0.1, 1.0, 10.0):
            for s in range(seeds):
                out.append(Cell(study, f"epm{w:g}_s{s}", f"epm_weight={w:g}", _cfg(p, "basnet", True),
                                [f"model.acgnet.epm_weight={w}"], s, {"epm_weight": w}))
    elif study in ("table1", "table2"):
        if study == "table2":
            p = "synthetic-anet-small" if preset == "small" else "synthetic-anet"
        heads = ("basnet", "bam", "dgam") if study == "table1" else ("dgam", "basnet", "bam")
        for head in heads:
            for acg in (False, True):
                key = f"{head}{'_acgnet' if acg else ''}"
                for s in range(seeds):
                    out.append(Cell(study, f"{key}_s{s}", key, _cfg(p, head, acg), [], s,
                                    {"head": head, "acgnet": acg}))
    elif study == "table2-tuning":
        # BaS-Net and BaM learn nothing on the 100-class preset with the THUMOS values (dropout 0.7 on 128
        # hidden channels, coupled weight decay, the foreground-norm / feature-magnitude weights): sweep them
        # on the baseline's validation split; the chosen values go into synthetic-anet-small_<head>.yaml, which
        # the +ACGNet configs inherit. Every cell sets all swept keys, so the grid does not depend on them.
        p = "synthetic-anet-small" if preset == "small" else "synthetic-anet"
        for head, (aux, aux_values) in TABLE2_TUNING_AUX.items():
            for dropout in (0.7, 0.5, 0.0):
                for wd in (5e-4, 0.0):
                    for a in aux_values:
                        key = f"{head}: dropout={dropout:g}, weight_decay={wd:g}, {aux}={a:g}"
                        for s in range(seeds):
                            out.append(Cell(study, f"{head}_d{dropout:g}_wd{wd:g}_{aux}{a:g}_s{s}", key,
                                            _cfg(p, head, False),
                                            [f"model.head_config.dropout={dropout}", f"optim.weight_decay={wd}",
                                             f"model.head_config.{aux}={a}"], s,
                                            {"head": head, "dropout": dropout, "weight_decay": wd, aux: a}))
    elif study == "table3":
        cfg = _cfg(p, "basnet", True)
        T = _num_segments(cfg)
        ks = sorted({1, 5, max(1, T // 10), 20, T})
        for graph in ("similarity", "similarity_minus_temporal", "full"):
            for k in ks:
                for s in range(seeds):
                    out.append(Cell(study, f"{graph}_k{k}_s{s}", f"{graph}/k={k}", cfg,
                                    [f"model.acgnet.graph={graph}", f"model.acgnet.k={k}"], s,
                                    {"graph": graph, "k": k, "dense": k == T, "T": T}))
        k = max(1, T // 10)
        for s in range(seeds):
            out.append(Cell(study, f"temporal_only_k{k}_s{s}", f"temporal_only/k={k}", cfg,
                            ["model.acgnet.graph=temporal_only", f"model.acgnet.k={k}"], s,
                            {"graph": "temporal_only", "k": k, "dense": False, "T": T}))
    elif study == "table4":
        base, acg = _cfg(p, "basnet", False), _cfg(p, "basnet", True)
        rows = [  # (key, config, overrides, flags I3D AVG GCN EPM fusion)
            ("i3d", base, [], (1, 0, 0, 0, "")),
            ("i3d+avg(sum)", acg, ["model.acgnet.use_gcn=false", "model.acgnet.epm_weight=0.0"], (1, 1, 0, 0, "sum")),
            ("i3d+avg(concat)", acg, ["model.acgnet.use_gcn=false", "model.acgnet.epm_weight=0.0",
                                      "model.acgnet.fusion=concat"], (1, 1, 0, 0, "concat")),
            ("i3d+gcn(sum,no-epm)", acg, ["model.acgnet.use_avg=false", "model.acgnet.epm_weight=0.0"],
             (1, 0, 1, 0, "sum")),
            ("i3d+gcn+epm(sum)", acg, ["model.acgnet.use_avg=false"], (1, 0, 1, 1, "sum")),
            ("i3d+avg+gcn(sum,no-epm)", acg, ["model.acgnet.epm_weight=0.0"], (1, 1, 1, 0, "sum")),
            ("i3d+avg+gcn+epm(sum)", acg, [], (1, 1, 1, 1, "sum")),
            ("i3d+avg+gcn+epm(concat)", acg, ["model.acgnet.fusion=concat"], (1, 1, 1, 1, "concat")),
        ]
        for key, cfg, ov, flags in rows:
            for s in range(seeds):
                out.append(Cell(study, f"{key.replace('+', '_').replace('(', '_').replace(')', '').replace(',', '_')}_s{s}",
                                key, cfg, list(ov), s, {"flags": list(flags)}))
    elif study == "lambda":
        cfg = _cfg(p, "basnet", True)
        T = _num_segments(cfg)
        k = max(1, T // 10)
        for lam in (0.7, 0.8, 0.85, 0.9, 0.95):
            for topk in (True, False):
                for s in range(seeds):
                    kk = k if topk else T
                    out.append(Cell(study, f"lam{lam:g}_{'topk' if topk else 'nok'}_s{s}",
                                    f"lambda={lam:g}/{'topk' if topk else 'threshold-only'}", cfg,
                                    [f"model.acgnet.threshold={lam}", f"model.acgnet.k={kk}"], s,
                                    {"lambda": lam, "topk": topk, "k": kk, "T": T}))
    elif study == "incompleteness":
        # post-hoc check of the paper's premise (not a calibration step): the calibrated benchmark with the
        # *uncalibrated* spatial-incompleteness knobs (occlusion 50-95 %, 20 % easy snippets), everything else
        # frozen; baseline vs +ACGNet for BaS-Net and DGAM.
        from tal_pyg.datasets import generate_synthetic

        data = ROOT / "runs" / "reproduce" / "data" / "thumos-like-small-incomplete-seed0"
        if not (data / "gt.json").is_file():
            generate_synthetic("thumos-like-small", data, seed=0, occlusion=(0.5, 0.95), easy_fraction=0.2)
        for head in ("basnet", "dgam"):
            for acg in (False, True):
                key = f"{head}{'_acgnet' if acg else ''}"
                for s in range(seeds):
                    out.append(Cell(study, f"{key}_s{s}", key, _cfg(p, head, acg), [f"data.root={data}"], s,
                                    {"head": head, "acgnet": acg}))
    else:
        raise ValueError(f"unknown study {study!r}")
    return out


# ------------------------------------------------------------------------------------------------
# running one cell
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
    recs = [json.loads(l) for l in metrics_path.read_text().splitlines()]
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


def cell_is_current(cell: Cell, out: Path) -> bool:
    """False when the run folder's resolved ``config.yaml`` differs from what the cell's config file and
    overrides give today (the config was edited after the cell ran); True when it matches or is absent."""
    saved = Path(out) / "config.yaml"
    if not saved.is_file():
        return True
    from tal_pyg.config import load_config

    return not load_config(str(saved)).differences(load_config(str(CONFIGS / cell.config), cell_overrides(cell)))


def _move_stale(out: Path) -> Path:
    n = 1
    while out.with_name(f"{out.name}.stale-{n}").exists():
        n += 1
    target = out.with_name(f"{out.name}.stale-{n}")
    out.rename(target)
    return target


def train_cell(cell: Cell, out: Path, runtime: Sequence[str] = ()) -> None:
    """Default runner: train + select (validation) + test in this process, CPU time to ``cell.json``.
    ``runtime``: extra overrides of :data:`tal_pyg.config.RUNTIME_KEYS` (``train.num_threads=1``)."""
    from tal_pyg.cli.train import train_and_evaluate

    t0, w0 = time.process_time(), time.time()
    train_and_evaluate(str(CONFIGS / cell.config), str(out), [*cell_overrides(cell), *runtime])
    return {"cpu_seconds": round(time.process_time() - t0, 1), "wall_seconds": round(time.time() - w0, 1)}


def _epm_weight_of(out: Path) -> Optional[float]:
    from tal_pyg.config import load_config

    a = load_config(str(Path(out) / "config.yaml")).model.acgnet
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
    from tal_pyg.config import load_config
    from tal_pyg.training.data import synthetic_root

    cfg = load_config(str(run_dir / "config.yaml"))
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
            ious = [max(0.0, min(e, p["segment"][1]) - max(s, p["segment"][0]))
                    / max(1e-9, max(e, p["segment"][1]) - min(s, p["segment"][0]))
                    for p in props if p["label"] == a["label"]]
            best.append(max(ious) if ious else 0.0)
        top_len += [p["segment"][1] - p["segment"][0] for p in sorted(props, key=lambda p: -p["score"])[:10]]
    mean = lambda v: sum(v) / len(v) if v else float("nan")  # noqa: E731
    return {"proposals_per_video": mean(n), "top10_mean_length_s": mean(top_len), "gt_mean_length_s": mean(gt_len),
            "mean_best_tiou": mean(best), "share_gt_best_tiou_ge_0.5": mean([float(b >= 0.5) for b in best])}


Runner = Callable[[Cell, Path], Optional[Dict[str, Any]]]


def run_study(study: str, seeds: int = 1, preset: str = "small", runs_root: Optional[Path] = None,
              results_dir: Optional[Path] = None, max_cells: Optional[int] = None,
              time_budget: Optional[float] = None, runner: Runner = train_cell, commit: bool = False,
              cells: Optional[Sequence[Cell]] = None, log: Callable[[str], None] = print,
              shard: Optional[tuple[int, int]] = None) -> Dict[str, Any]:
    """Run the missing (or stale) cells of ``study`` (bounded by ``max_cells`` / ``time_budget``; only the
    cells ``i % n == k`` for ``shard=(k, n)``), then aggregate."""
    from tal_pyg.utils.io import atomic_write_json

    runs_root = Path(runs_root or ROOT / "runs" / "reproduce")
    results_dir = Path(results_dir or RESULTS)
    cells = list(cells if cells is not None else cells_for(study, seeds, preset))
    t0 = time.time()
    started = 0
    for i, cell in enumerate(cells):
        if shard is not None and i % shard[1] != shard[0]:
            continue
        out = runs_root / study / cell.name
        if (out / "eval.json").is_file():
            if cell_is_current(cell, out):
                continue
            log(f"[{study}] cell {cell.name}: the config changed since it ran; moved to "
                f"{_move_stale(out).name}, running it again")
        if max_cells is not None and started >= max_cells:
            log(f"[{study}] --max-cells {max_cells} reached")
            break
        if time_budget is not None and time.time() - t0 >= time_budget:
            log(f"[{study}] --time-budget {time_budget:g} s reached")
            break
        started += 1
        log(f"[{study}] cell {cell.name}: {cell.config} {' '.join(cell.overrides)} seed {cell.seed}")
        try:
            meta = runner(cell, out) or {}
        except Exception:  # one failed cell must not stop the grid; it is retried on the next call
            log(f"[{study}] cell {cell.name} FAILED:\n{traceback.format_exc()}")
            continue
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "cell.json", {**asdict(cell), **meta})
        summary = aggregate(study, cells, runs_root, results_dir)
        if commit:
            git_commit(results_dir, f"reproduce {study}: cell {cell.name}")
    summary = aggregate(study, cells, runs_root, results_dir)
    log(f"[{study}] {summary['finished']}/{summary['total']} cells finished -> {results_dir / (study + '.md')}")
    return summary


def git_commit(results_dir: Path, message: str) -> None:
    for _ in range(10):
        a = subprocess.run(["git", "add", str(results_dir)], cwd=ROOT, capture_output=True, text=True)
        if a.returncode == 0:
            c = subprocess.run(["git", "commit", "-q", "-m", message, "--", str(results_dir)], cwd=ROOT,
                               capture_output=True, text=True)
            if c.returncode == 0 or "nothing" in (c.stdout + c.stderr):
                return
        time.sleep(3)
    print(f"warning: could not commit {results_dir}", file=sys.stderr)


# ------------------------------------------------------------------------------------------------
# aggregation
def _mean_std(values: Sequence[float]):
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    m = sum(vals) / len(vals)
    s = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return m, s


def summarize_rows(records: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Mean and std over seeds of every metric, per row (in first-seen order)."""
    rows: Dict[str, List[Dict[str, Any]]] = {}
    for r in records:
        rows.setdefault(r["row"], []).append(r)
    out = {}
    for row, recs in rows.items():
        n_t = len(recs[0]["test_mAP"])
        out[row] = {
            "n": len(recs), "seeds": [r["seed"] for r in recs],
            "mAP": [_mean_std([r["test_mAP"][i] for r in recs]) for i in range(n_t)],
            "average": _mean_std([r["test_average_mAP"] for r in recs]),
            "cls": _mean_std([r["classification_mAP"] for r in recs]),
            "val": _mean_std([r["val_average_mAP"] for r in recs]),
            "val_cls": _mean_std([r.get("val_classification_mAP") for r in recs]),
            "cpu": _mean_std([r["cpu_seconds"] for r in recs]),
            "epm_over_head": _mean_std([_epm_ratio(r) for r in recs]),
            "proposals": {k: _mean_std([(r.get("proposals") or {}).get(k) for r in recs])
                          for k in ("proposals_per_video", "top10_mean_length_s", "mean_best_tiou", "gt_mean_length_s",
                                    "share_gt_best_tiou_ge_0.5")},
            "tious": recs[0]["tiou_thresholds"],
            "info": {k: v for k, v in recs[0].items() if k not in ("cell", "seed", "test_mAP", "losses", "proposals", "epm_weight_used")
                     and not k.endswith("mAP") and k not in ("cpu_seconds", "wall_seconds", "run_dir",
                                                             "selected_iteration", "tiou_thresholds")},
        }
    return out


def _epm_ratio(rec: Dict[str, Any]) -> Optional[float]:
    """epm_weight·L_EPM / host loss (second half of training), from metrics.jsonl and the run's config."""
    losses = rec.get("losses") or {}
    w = rec.get("epm_weight_used")
    for prefix in ("loss/", "loss/model/"):
        if f"{prefix}epm" in losses and f"{prefix}total" in losses and w is not None:
            epm = w * losses[f"{prefix}epm"]
            head = losses[f"{prefix}total"] - epm
            return epm / head if head > 0 else None
    return None


def _fmt(ms, digits: int = 1) -> str:
    m, s = ms
    if m is None:
        return "–"
    return f"{m:.{digits}f} ± {s:.{digits}f}" if s else f"{m:.{digits}f}"


def aggregate(study: str, cells: Sequence[Cell], runs_root: Path, results_dir: Path) -> Dict[str, Any]:
    """Rebuild ``<study>.json`` / ``.md`` (and the sweep PNG) from the finished run folders."""
    from tal_pyg.utils.io import atomic_write_json, atomic_write_text

    records = [r for r in (cell_record(c, Path(runs_root) / study / c.name) for c in cells) if r is not None]
    rows = summarize_rows(records)
    summary = {"study": study, "finished": len(records), "total": len(cells), "records": records,
               "rows": {k: {kk: vv for kk, vv in v.items()} for k, v in rows.items()}}
    results_dir.mkdir(parents=True, exist_ok=True)
    old = results_dir / f"{study}.json"
    notes = json.loads(old.read_text()).get("notes") if old.is_file() else None
    if notes:
        summary["notes"] = notes
    if study == "table2-tuning":
        summary["selected"] = {head: rows[key]["info"] for head, key in select_by_validation(rows).items()}
    atomic_write_json(results_dir / f"{study}.json", summary)
    md = render_markdown(study, rows, len(records), len(cells), notes)
    atomic_write_text(results_dir / f"{study}.md", md)
    if study in ("table3", "lambda") and records:
        try:
            plot_sweep(study, rows, results_dir / f"{study}.png")
        except ImportError:
            pass
    return summary


def select_by_validation(rows: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    """Per head, the row with the best validation average mAP (ties: validation classification mAP, then
    the first row of the grid). Test numbers play no part."""
    best: Dict[str, tuple] = {}
    for i, (key, r) in enumerate(rows.items()):
        score = (r["val"][0] if r["val"][0] is not None else -1.0,
                 r["val_cls"][0] if r["val_cls"][0] is not None else -1.0, -i)
        head = r["info"]["head"]
        if head not in best or score > best[head][0]:
            best[head] = (score, key)
    return {head: key for head, (_, key) in best.items()}


def _tuning_lines(rows: Dict[str, Dict[str, Any]]) -> List[str]:
    chosen = set(select_by_validation(rows).values())
    lines: List[str] = []
    for head, (aux, _) in TABLE2_TUNING_AUX.items():
        mine = {k: r for k, r in rows.items() if r["info"]["head"] == head}
        if not mine:
            continue
        lines += [f"**{HEAD_NAMES[head]}** (`{next(iter(mine.values()))['info']['config']}` + overrides; "
                  "selected = best validation average mAP, ties broken by validation classification mAP)", "",
                  f"| dropout | weight decay | {aux} | seeds | val avg | val cls mAP | test avg | test cls mAP | "
                  "test @0.5 | CPU s | |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for key, r in mine.items():
            i = r["info"]
            lines.append(f"| {i['dropout']:g} | {i['weight_decay']:g} | {i[aux]:g} | {r['n']} | {_fmt(r['val'])} | "
                         f"{_fmt(r['val_cls'])} | {_fmt(r['average'])} | {_fmt(r['cls'])} | {_fmt(r['mAP'][0])} | "
                         f"{_fmt(r['cpu'], 0)} | {'**selected**' if key in chosen else ''} |")
        lines.append("")
    return lines


def _header(tious) -> str:
    cols = " | ".join(f"@{t:.2f}".rstrip("0") for t in tious)
    return f"| method | seeds | {cols} | avg | cls mAP | val avg | CPU s |\n|---|---|" + "---|" * (len(tious) + 4)


def _row_line(label: str, r: Dict[str, Any]) -> str:
    cells = " | ".join(_fmt(ms) for ms in r["mAP"])
    return (f"| {label} | {r['n']} | {cells} | {_fmt(r['average'])} | {_fmt(r['cls'])} | {_fmt(r['val'])} | "
            f"{_fmt(r['cpu'], 0)} |")


def _shape_lines(rows) -> List[str]:
    gt = [(r["proposals"].get("gt_mean_length_s") or (None, None))[0] for r in rows.values()]
    gt = next((g for g in gt if g is not None), None)
    lines = ["", "Shape of the test detections (mean over seeds; ground-truth instances are "
             f"{'?' if gt is None else f'{gt:.1f}'} s long on average): proposals per video, mean length of each "
             "video's 10 best proposals, mean best tIoU of a ground-truth instance with a proposal of its class, "
             "share of instances with best tIoU ≥ 0.5; EPM / head loss = epm_weight·L_EPM over the host's own "
             "loss (second half of training).", "",
             "| row | proposals / video | top-10 length (s) | mean best tIoU | share ≥ 0.5 | EPM / head loss |",
             "|---|---|---|---|---|---|"]
    for key, r in rows.items():
        pr = r["proposals"]
        lines.append(f"| {key} | {_fmt(pr['proposals_per_video'])} | {_fmt(pr['top10_mean_length_s'])} | "
                     f"{_fmt(pr['mean_best_tiou'], 3)} | {_fmt(pr['share_gt_best_tiou_ge_0.5'], 3)} | "
                     f"{_fmt(r['epm_over_head'], 3)} |")
    return lines


def render_markdown(study: str, rows: Dict[str, Dict[str, Any]], done: int, total: int,
                    notes: Optional[str] = None) -> str:
    anet = study in ("table2", "table2-tuning")
    bench = "anet-like-small, D = 256" if anet else "thumos-like-small, D = 256"
    split = "validation split selects, test split reported" if study == "table2-tuning" else "test split"
    lines = [f"# Study `{study}` — synthetic benchmark ({bench}), {split}, mAP (%)", "",
             f"{done}/{total} cells finished. mean ± std over the seeds of each row (column *seeds*); model "
             "selection on the validation videos (column *val avg*: the selected checkpoint's validation "
             "average mAP); *CPU s*: CPU seconds per run on a shared 2-core machine. The paper's numbers "
             f"({'ActivityNet1.2' if anet else 'THUMOS' + chr(39) + '14'}, real I3D features, "
             "D = 2048) are given for reference only: the absolute values are not comparable, the direction of "
             "the differences is.", ""]
    if not rows:
        return "\n".join(lines + ["(no finished cell yet)", ""])
    tious = next(iter(rows.values()))["tious"]
    if study == "table2-tuning":
        lines += _tuning_lines(rows) + ["Full rows:", "", _header(tious)]
        lines += [_row_line(k, r) for k, r in rows.items()]
    elif study in ("table1", "table2", "epm", "incompleteness"):
        lines.append(_header(tious))
        for key, r in rows.items():
            label = key
            if study in ("table1", "table2", "incompleteness"):
                head = r["info"]["head"]
                label = HEAD_NAMES[head] + (" + ACGNet" if r["info"]["acgnet"] else "")
            lines.append(_row_line(label, r))
            if study in ("table1", "table2", "incompleteness") and r["info"]["acgnet"]:
                b = rows.get(r["info"]["head"])
                if b:
                    d = " | ".join(f"{(a[0] - c[0]):+.1f}" for a, c in zip(r["mAP"], b["mAP"]))
                    lines.append(f"| Δ (ours) | | {d} | {r['average'][0] - b['average'][0]:+.1f} | | | |")
        if study in ("table1", "table2"):
            paper = PAPER_TABLE1 if study == "table1" else PAPER_TABLE2
            where = "ActivityNet1.2" if study == "table2" else "THUMOS'14"
            lines += ["", f"Paper ({where}, its own re-implementations of the baselines, marked * there):", "",
                      "| method | " + " | ".join(f"@{t}" for t in (TIOUS if study == "table1" else (0.5, 0.75, 0.95)))
                      + " | avg |", "|---|" + "---|" * ((7 if study == "table1" else 3) + 1)]
            for key, (vals, avg) in paper.items():
                head = key.split("_")[0]
                label = HEAD_NAMES[head] + (" + ACGNet" if key.endswith("acgnet") else "*")
                lines.append(f"| {label} | " + " | ".join(f"{v:.1f}" for v in vals) + f" | {avg:.1f} |")
        if study == "epm":
            lines += ["", "EPM / head loss: mean over the second half of training of epm_weight·L_EPM divided by "
                      "the host's own loss, per row: " + ", ".join(
                          f"{k}: {_fmt(r['epm_over_head'], 3)}" for k, r in rows.items())]
    elif study == "table3":
        graphs = [g for g in ("similarity", "similarity_minus_temporal", "full") if any(
            r["info"].get("graph") == g for r in rows.values())]
        ks = sorted({r["info"]["k"] for r in rows.values() if r["info"]["graph"] != "temporal_only"})
        T = next(iter(rows.values()))["info"].get("T")
        for metric, idx in (("mAP@0.5", 4), ("average mAP (0.1:0.7)", None)):
            lines += [f"**{metric}** (T = {T}; K = {T} is the dense graph)", "",
                      "| K | " + " | ".join(GRAPH_LABELS[g] for g in graphs) + " |", "|---|" + "---|" * len(graphs)]
            for k in ks:
                vals = []
                for g in graphs:
                    r = rows.get(f"{g}/k={k}")
                    vals.append("–" if r is None else _fmt(r["mAP"][idx] if idx is not None else r["average"]))
                lines.append(f"| {k}{' (dense)' if k == T else ''} | " + " | ".join(vals) + " |")
            for key, r in rows.items():
                if r["info"]["graph"] == "temporal_only":
                    lines.append(f"| Gt only, K = {r['info']['k']} | "
                                 + _fmt(r["mAP"][idx] if idx is not None else r["average"]) + " | | |")
            lines.append("")
        lines += ["Paper, mAP@0.5 (T = 750; 750 = dense):", "",
                  "| K | G1 | G2 | G3 |", "|---|---|---|---|"]
        for k in (1, 5, 20, 50, 200, 750):
            lines.append(f"| {k} | " + " | ".join(f"{PAPER_TABLE3[g][k]:.1f}" for g in
                                                   ("similarity", "similarity_minus_temporal", "full")) + " |")
        lines.append("| Gt only, K = 50 | 22.1 | | |")
        lines += ["", "Full rows:", "", _header(tious)]
        lines += [_row_line(k, r) for k, r in rows.items()]
    elif study == "table4":
        lines += ["| I3D | AVG | GCN | L_EPM | fusion | seeds | mAP@0.5 | avg | cls mAP | val avg | paper mAP@0.5 |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for key, r in rows.items():
            f = r["info"]["flags"]
            chk = ["✓" if x else "" for x in f[:4]]
            paper = PAPER_TABLE4.get(key)
            lines.append(f"| {' | '.join(chk)} | {f[4]} | {r['n']} | {_fmt(r['mAP'][4])} | {_fmt(r['average'])} | "
                         f"{_fmt(r['cls'])} | {_fmt(r['val'])} | {'' if paper is None else f'{paper:.1f}'} |")
        lines += ["", "Paper rows we did not run (no I3D input): AVG only 19.7, GCN + EPM 22.4, AVG + GCN + EPM 22.2;"
                  " I3D + GCN (concat, no EPM) 27.3, I3D + GCN + EPM (concat) 29.1. The paper's Table 4 is read "
                  "from the extracted text (check marks per row).", "", "Full rows:", "", _header(tious)]
        lines += [_row_line(k, r) for k, r in rows.items()]
    elif study == "lambda":
        lams = sorted({r["info"]["lambda"] for r in rows.values()})
        lines += ["| λ | top-K + threshold: mAP@0.5 | threshold only: mAP@0.5 | top-K + threshold: avg | "
                  "threshold only: avg |", "|---|---|---|---|---|"]
        for lam in lams:
            a, b = rows.get(f"lambda={lam:g}/topk"), rows.get(f"lambda={lam:g}/threshold-only")
            g = lambda r, i: "–" if r is None else _fmt(r["mAP"][i] if i is not None else r["average"])  # noqa: E731
            lines.append(f"| {lam:g} | {g(a, 4)} | {g(b, 4)} | {g(a, None)} | {g(b, None)} |")
        lines += ["", "Paper (Figure 4, values only in the figure): at every λ, top-K plus the threshold beats the "
                  "threshold alone; best at λ = 0.85 with K = 50 (T = 750).", "", "Full rows:", "", _header(tious)]
        lines += [_row_line(k, r) for k, r in rows.items()]
    lines += _shape_lines(rows)
    if notes:
        lines += ["", "## Notes", "", notes]
    return "\n".join(lines) + "\n"


def plot_sweep(study: str, rows: Dict[str, Dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    if study == "table3":
        for g in ("similarity", "similarity_minus_temporal", "full"):
            pts = sorted((r["info"]["k"], r["mAP"][4][0]) for r in rows.values() if r["info"]["graph"] == g)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=GRAPH_LABELS[g])
        for r in rows.values():
            if r["info"]["graph"] == "temporal_only":
                ax.plot([r["info"]["k"]], [r["mAP"][4][0]], "k*", markersize=10, label="Gt only")
        ax.set_xscale("log")
        ax.set_xlabel("K (top-K per row; K = T is dense)")
    else:
        for topk, label in ((True, "top-K + threshold"), (False, "threshold only")):
            pts = sorted((r["info"]["lambda"], r["mAP"][4][0]) for r in rows.values() if r["info"]["topk"] == topk)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=label)
        ax.set_xlabel("λ (edge threshold)")
    ax.set_ylabel("test mAP@0.5 (%)")
    ax.set_title(f"{study}: BaS-Net + ACGNet on thumos-like-small (1 seed)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    from tal_pyg.utils.io import atomic_open

    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------
# graph statistics (no training)
def graph_statistics(preset_config: str = "synthetic-small_basnet_acgnet.yaml", split: str = "train",
                     overrides: Sequence[str] = (), max_videos: Optional[int] = None) -> Dict[str, Any]:
    """ACG statistics of a config's graph settings on its dataset, on the sequences the model sees.

    Mean in-degree, share of isolated snippets, mean temporal distance ``|i - j|`` of the edges, and the
    share of edges joining two steps with the same label (background = one label; step labels by
    :func:`tal_pyg.datasets.snippet_labels.snippet_labels`).
    """
    import torch

    from tal_pyg.config import load_config
    from tal_pyg.datasets.snippet_labels import snippet_labels
    from tal_pyg.graph import build_action_complement_graph
    from tal_pyg.training import data as data_mod

    cfg = load_config(str(CONFIGS / preset_config), overrides=list(overrides))
    a = cfg.model.acgnet
    ds = data_mod.open_split(cfg.data, split, log=lambda *_: None)
    tf = data_mod.eval_transform(cfg.data)
    n_nodes = n_edges = n_iso = 0
    dist = same = same_act = act_edges = 0.0
    n = len(ds) if max_videos is None else min(max_videos, len(ds))
    for i in range(n):
        d = ds[i]
        d = tf(d) if tf is not None else d
        T = d.x.shape[0]
        ei, ew = build_action_complement_graph(d.x, k=a.k, threshold=a.threshold, alpha=a.alpha, z=a.z,
                                               graph=a.graph)
        lab = snippet_labels(d.gt_segments, d.gt_labels, T, float(d.snippet_seconds))
        n_nodes += T
        n_edges += ei.shape[1]
        n_iso += int((torch.bincount(ei[1], minlength=T) == 0).sum())
        if ei.shape[1]:
            dist += float((ei[0] - ei[1]).abs().float().sum())
            eq = lab[ei[0]] == lab[ei[1]]
            same += float(eq.sum())
            tgt_act = lab[ei[1]] >= 0
            act_edges += float(tgt_act.sum())
            same_act += float((eq & tgt_act).sum())
    return {
        "config": preset_config, "split": split, "videos": n, "T": cfg.data.num_segments,
        "k": a.k, "threshold": a.threshold, "alpha": a.alpha, "z": a.z, "graph": a.graph,
        "mean_in_degree": n_edges / max(1, n_nodes), "isolated_fraction": n_iso / max(1, n_nodes),
        "mean_edge_distance": dist / max(1, n_edges), "same_label_edge_fraction": same / max(1, n_edges),
        "same_class_fraction_of_edges_into_action": same_act / max(1, act_edges),
    }


def feature_separability(config: str = "synthetic-small_basnet_acgnet.yaml", overrides: Sequence[str] = (),
                         steps: int = 300, seed: int = 0) -> Dict[str, Any]:
    """Supervised linear probes on single steps: original features F vs the AVG branch's F + ÂF and ÂF.

    Trains a logistic-regression probe (full batch, Adam, ``steps`` steps) on the training split's steps
    (each video resampled as at test time) and reports, on the test split, the actionness AUC (action vs
    background) and the (C + 1)-way step accuracy. This measures whether the graph's parameter-free
    averaging makes single snippets more or less separable on this benchmark (an upper bound, not WTAL).
    """
    import torch

    from tal_pyg.config import load_config
    from tal_pyg.datasets.snippet_labels import snippet_labels
    from tal_pyg.graph import build_action_complement_graph
    from tal_pyg.training import data as data_mod

    cfg = load_config(str(CONFIGS / config), overrides=list(overrides))
    a = cfg.model.acgnet
    tf = data_mod.eval_transform(cfg.data)

    def collect(split):
        ds = data_mod.open_split(cfg.data, split, log=lambda *_: None)
        xs, avgs, labs = [], [], []
        for i in range(len(ds)):
            d = ds[i]
            d = tf(d) if tf is not None else d
            T = d.x.shape[0]
            ei, ew = build_action_complement_graph(d.x, k=a.k, threshold=a.threshold, alpha=a.alpha, z=a.z,
                                                   graph=a.graph)
            avg = torch.zeros_like(d.x).index_add_(0, ei[1], d.x[ei[0]] * ew[:, None])
            xs.append(d.x)
            avgs.append(avg)
            labs.append(snippet_labels(d.gt_segments, d.gt_labels, T, float(d.snippet_seconds)))
        return torch.cat(xs), torch.cat(avgs), torch.cat(labs)

    xtr, atr, ytr = collect("train")
    xte, ate, yte = collect("test")
    C = int(max(ytr.max(), yte.max())) + 2

    def probe(ftr, fte):
        g = torch.Generator().manual_seed(seed)
        mu, sd = ftr.mean(0), ftr.std(0) + 1e-6
        ftr, fte = (ftr - mu) / sd, (fte - mu) / sd
        lin = torch.nn.Linear(ftr.shape[1], C)
        with torch.no_grad():
            lin.weight.normal_(0, 0.01, generator=g)
            lin.bias.zero_()
        opt = torch.optim.Adam(lin.parameters(), lr=1e-2, weight_decay=1e-4)
        target = ytr + 1  # 0 = background
        for _ in range(steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(lin(ftr), target).backward()
            opt.step()
        with torch.no_grad():
            prob = lin(fte).softmax(-1)
        acc = float((prob.argmax(-1) == yte + 1).float().mean())
        score = 1 - prob[:, 0]
        pos, neg = score[yte >= 0], score[yte < 0]
        auc = float((pos[:, None] > neg[None, :]).float().mean() + 0.5 * (pos[:, None] == neg[None, :]).float().mean())
        return {"actionness_auc": auc, "step_accuracy": acc}

    return {"config": config, "k": a.k, "threshold": a.threshold, "graph": a.graph,
            "train_steps": int(ytr.numel()), "test_steps": int(yte.numel()),
            "F": probe(xtr, xte), "F+AF (AVG branch, sum)": probe(xtr + atr, xte + ate), "AF": probe(atr, ate)}


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--study", required=True, choices=[*STUDIES, "graphstats"])
    p.add_argument("--seeds", type=int, default=None, help="training seeds per row (default: 3 for table1/2, else 1)")
    p.add_argument("--preset", default="small", choices=["small", "full"])
    p.add_argument("--max-cells", type=int, default=None, help="start at most N new cells")
    p.add_argument("--time-budget", type=float, default=None, help="start no new cell after S seconds")
    p.add_argument("--runs-root", default=None, help="run folders (default runs/reproduce)")
    p.add_argument("--results-dir", default=None, help="default experiments/results")
    p.add_argument("--shard", default=None, metavar="K/N", help="run only the cells i with i %% N == K")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads per run (train.num_threads; 1 with two shards on 2 cores); not part of a "
                        "cell's identity, but it changes the floating-point summation order, so a cell run with "
                        "another thread count is not bit-identical")
    p.add_argument("--list", action="store_true", help="print the cells and their state, run nothing")
    p.add_argument("--aggregate-only", action="store_true", help="rewrite the result files, run nothing")
    p.add_argument("--commit", action="store_true", help="git-commit experiments/results after every cell")
    args = p.parse_args(argv)
    results_dir = Path(args.results_dir) if args.results_dir else RESULTS
    if args.study == "graphstats":
        from tal_pyg.utils.io import atomic_write_json

        stats = {f"{split}": graph_statistics(split=split) for split in ("train", "test")}
        stats["feature_separability"] = feature_separability()
        atomic_write_json(results_dir / "graph_stats.json", stats)
        print(json.dumps(stats, indent=1))
        return 0
    seeds = args.seeds if args.seeds is not None else (3 if args.study in ("table1", "table2") else 1)
    cells = cells_for(args.study, seeds, args.preset)
    runs_root = Path(args.runs_root) if args.runs_root else ROOT / "runs" / "reproduce"
    shard = parse_shard(args.shard) if args.shard else None
    if args.list:
        for c in cells:
            out = runs_root / args.study / c.name
            state = "todo" if not (out / "eval.json").is_file() else ("done" if cell_is_current(c, out) else "stale")
            print(f"{state:5s} {c.name}: {c.config} {' '.join(c.overrides)} seed {c.seed}")
        return 0
    if args.aggregate_only:
        s = aggregate(args.study, cells, runs_root, results_dir)
        print(f"{s['finished']}/{s['total']} cells finished")
        return 0
    runner = train_cell
    if args.threads:
        runner = functools.partial(train_cell, runtime=[f"train.num_threads={args.threads}"])
    run_study(args.study, seeds, args.preset, runs_root, results_dir, args.max_cells, args.time_budget,
              runner=runner, commit=args.commit, cells=cells, shard=shard)
    return 0


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` with ``0 <= K < N``."""
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise SystemExit(f"--shard: expected K/N (e.g. 0/2), got {text!r}") from None
    if not 0 <= k < n:
        raise SystemExit(f"--shard {text}: need 0 <= K < N")
    return k, n


if __name__ == "__main__":
    sys.exit(main())
