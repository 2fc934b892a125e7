#!/usr/bin/env python
"""Run an experiment, or with no arguments the demo.

    python experiments/run.py                       # demo: BaS-Net vs BaS-Net + ACGNet on the
                                                    # thumos-like-small synthetic benchmark,
                                                    # 5 paired seeds in 2 processes
    python experiments/run.py --demo --seeds 2 --workers 1
    python experiments/run.py --demo --protocol paper-r1   # the demo under P* (docs/protocol.md; ~10x longer)
    python experiments/run.py --config experiments/configs/thumos14_basnet_acgnet.yaml \
        --set data.root=/data/THUMOS14 --out runs/thumos_basnet_acgnet
    torchrun --nproc_per_node 4 experiments/run.py --config ... --out ...   # DistributedDataParallel

The arguments are those of ``tal-pyg train`` (``--help``).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List, Sequence, Tuple

HERE = Path(__file__).resolve().parent
DEMO_CONFIGS = ("synthetic-small_basnet.yaml", "synthetic-small_basnet_acgnet.yaml")
DEMO_LABELS = ("BaS-Net", "BaS-Net + ACGNet")
#: Seeds per method and parallel processes of the demo (one intra-op thread each: two processes fill two
#: cores, and results repeat bit for bit only at equal thread counts).
DEMO_SEEDS = 5
DEMO_WORKERS = 2


def protocol_overrides(protocol: str) -> Tuple[List[str], List[str]]:
    """The (baseline, + ACGNet) overrides of BaS-Net under one of the studies' protocols (docs/protocol.md)."""
    sys.path.insert(0, str(HERE))
    from studies.grids import PROTOCOLS

    if protocol not in PROTOCOLS:
        raise SystemExit(f"--protocol: unknown protocol {protocol!r} (choose from {', '.join(PROTOCOLS)})")
    spec = PROTOCOLS[protocol]
    return list(spec["base"]["basnet"]), [*spec["base"]["basnet"], *spec["acgnet"]["basnet"]]


def run_demo(out_root: Path, seeds: int = DEMO_SEEDS, workers: int = DEMO_WORKERS,
             configs: Sequence[str] = (), overrides: Sequence[str] = (),
             per_config: Sequence[Sequence[str]] = ((), ())) -> dict:
    """BaS-Net with and without ACGNet, ``seeds`` seeds each (same seeds: paired), ``workers`` processes.

    ``configs`` (baseline, + ACGNet) default to :data:`DEMO_CONFIGS`; ``overrides`` apply to every run,
    ``per_config`` (baseline, + ACGNet) to the runs of one config (a protocol, :func:`protocol_overrides`).
    Prints the table and returns ``{"tiou_thresholds", "runs": {label: [eval, ...]}, "difference": ...}``.
    """
    from tal_pyg.config import load_config
    from tal_pyg.evaluation.paired import mean_std, paired_difference
    from tal_pyg.training.data import ensure_synthetic
    from tal_pyg.training.parallel_runs import TrainingRun, run_in_processes
    from tal_pyg.utils.io import atomic_write_json

    t0 = time.time()
    out_root.mkdir(parents=True, exist_ok=True)
    configs = list(configs) or [str(HERE / "configs" / name) for name in DEMO_CONFIGS]
    data_cfg = load_config(configs[0], overrides=list(overrides)).data
    if data_cfg.dataset.startswith("synthetic"):
        ensure_synthetic(data_cfg)  # once, before the workers read it
    runtime = ("train.num_threads=1", "train.progress=false", *overrides)
    jobs = {TrainingRun(c, str(out_root / f"{Path(c).stem}_s{s}"), (*extra, f"train.seed={s}", *runtime)): (c, s)
            for s in range(seeds) for c, extra in zip(configs, per_config)}
    print(f"Demo: {len(DEMO_CONFIGS)} methods x {seeds} seeds on the thumos-like-small synthetic benchmark, "
          f"{workers} processes; runs and logs in {out_root}", flush=True)
    results: dict = {}
    for job, r in run_in_processes(list(jobs), workers):
        results[jobs[job]] = r
        print(f"  {Path(job.out).name}: avg mAP {100 * r['average_mAP']:.2f}  ({time.time() - t0:.0f} s)", flush=True)
    tious = results[(configs[0], 0)]["tiou_thresholds"]
    per = {c: [results[(c, s)] for s in range(seeds)] for c in configs}

    def cell(values) -> str:
        m, sd = mean_std([100 * v for v in values])
        return f"{m:.1f} ± {sd:.1f}"

    print(f"\nDemo: thumos-like-small synthetic benchmark, test split, mAP (%), mean ± std over {seeds} seeds")
    print("| method | " + " | ".join(f"@{t:.1f}" for t in tious) + " | avg | cls mAP |")
    print("|---|" + "---|" * (len(tious) + 2))
    for label, c in zip(DEMO_LABELS, configs):
        cells = " | ".join(cell([r["mAP"][i] for r in per[c]]) for i in range(len(tious)))
        print(f"| {label} | {cells} | {cell([r['average_mAP'] for r in per[c]])} | "
              f"{cell([r['classification_mAP'] for r in per[c]])} |")
    base, acg = per[configs[0]], per[configs[1]]
    i5 = min(range(len(tious)), key=lambda i: abs(tious[i] - 0.5))
    differences = {}
    for name, get in (("avg mAP", lambda r: r["average_mAP"]), (f"mAP@{tious[i5]:.1f}", lambda r: r["mAP"][i5])):
        d = differences[name] = paired_difference([100 * get(r) for r in acg], [100 * get(r) for r in base])
        verdict = "significant" if d.significant else "not significant"
        print(f"difference (+ ACGNet − BaS-Net), {name}: {d.format()} (paired t, 95 %, {d.n} seeds: {verdict})")
    summary = {"tiou_thresholds": tious, "seeds": seeds, "configs": dict(zip(DEMO_LABELS, configs)),
               "overrides": dict(zip(DEMO_LABELS, ([*e, *overrides] for e in per_config))),
               "runs": dict(zip(DEMO_LABELS, (base, acg))),
               "difference": {k: v.to_dict() for k, v in differences.items()},
               "wall_seconds": round(time.time() - t0, 1)}
    atomic_write_json(out_root / "demo.json", summary)
    print(f"\n(model selection on validation videos carved from the training split; total {time.time() - t0:.0f} s; "
          f"summary in {out_root / 'demo.json'})")
    return summary


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] == "--demo":
        import argparse

        p = argparse.ArgumentParser(prog="run.py --demo", description="BaS-Net vs BaS-Net + ACGNet, paired seeds")
        p.add_argument("--seeds", type=int, default=DEMO_SEEDS)
        p.add_argument("--workers", type=int, default=DEMO_WORKERS)
        p.add_argument("--out", type=Path, default=None)
        p.add_argument("--protocol", default=None,
                       help="run under one of the studies' protocols, e.g. paper-r1 = P* (docs/protocol.md)")
        a = p.parse_args(argv[1:])
        if a.seeds < 1 or a.workers < 1:
            p.error("--seeds and --workers must be >= 1")
        per_config = protocol_overrides(a.protocol) if a.protocol else ((), ())
        run_demo(a.out or Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S"), a.seeds, a.workers,
                 per_config=per_config)
        return 0
    from tal_pyg.cli.main import main as cli_main

    return cli_main(["train", *argv])


if __name__ == "__main__":
    sys.exit(main())
