#!/usr/bin/env python
"""Run an experiment, or with no arguments the demo.

    python experiments/run.py                       # demo: BaS-Net vs BaS-Net + ACGNet on the
                                                    # thumos-like-small synthetic benchmark
    python experiments/run.py --config experiments/configs/thumos14_basnet_acgnet.yaml \
        --set data.root=/data/THUMOS14 --out runs/thumos_basnet_acgnet
    torchrun --nproc_per_node 4 experiments/run.py --config ... --out ...   # DistributedDataParallel

The arguments are those of ``tal-pyg train`` (``--help``).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO_CONFIGS = ("synthetic-small_basnet.yaml", "synthetic-small_basnet_acgnet.yaml")


def run_demo(out_root: Path) -> int:
    from tal_pyg.cli.train import train_and_evaluate

    t0 = time.time()
    results = {}
    for name in DEMO_CONFIGS:
        cfg = HERE / "configs" / name
        print(f"\n=== {name} ===", flush=True)
        results[name] = train_and_evaluate(str(cfg), str(out_root / Path(name).stem))
    base, acg = (results[n] for n in DEMO_CONFIGS)
    tious = base["tiou_thresholds"]
    print(f"\nDemo: thumos-like-small synthetic benchmark, test split, mAP (%) — runs in {out_root}")
    print("| method | " + " | ".join(f"@{t:.1f}" for t in tious) + " | avg | cls mAP |")
    print("|---|" + "---|" * (len(tious) + 2))
    for label, r in (("BaS-Net", base), ("BaS-Net + ACGNet", acg)):
        cells = " | ".join(f"{100 * v:.2f}" for v in r["mAP"])
        print(f"| {label} | {cells} | {100 * r['average_mAP']:.2f} | {100 * r['classification_mAP']:.2f} |")
    delta = " | ".join(f"{100 * (a - b):+.2f}" for a, b in zip(acg["mAP"], base["mAP"]))
    print(f"| difference | {delta} | {100 * (acg['average_mAP'] - base['average_mAP']):+.2f} | |")
    print(f"\n(one seed; model selection on validation videos carved from the training split; "
          f"total {time.time() - t0:.0f} s)")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return run_demo(Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S"))
    from tal_pyg.cli.main import main as cli_main

    return cli_main(["train", *argv])


if __name__ == "__main__":
    sys.exit(main())
