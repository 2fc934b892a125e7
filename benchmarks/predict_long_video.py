"""Cost of ``tal-pyg predict`` on one long video for each inference sampling (``--snippets``).

    python benchmarks/predict_long_video.py [--snippets 8000] [--dim 2048] [--config CFG] [--window N]

A random BaS-Net + ACGNet model built from ``--config`` (default: the THUMOS'14-like BaS-Net + ACGNet config;
untrained weights: the cost does not depend on them) runs :func:`tal_pyg.cli.predict.predict_features` on a
synthetic ``[T, dim]`` video, each mode in its own child process so that its peak resident memory
(``ru_maxrss``) is its own. Prints a table and writes ``benchmarks/results/predict_long_video.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_CONFIG = REPO / "experiments/configs/synthetic_basnet_acgnet.yaml"


def child(args: argparse.Namespace) -> None:
    import numpy as np
    import torch

    from tal_pyg.cli.predict import predict_features
    from tal_pyg.config import load_config
    from tal_pyg.training.build import build_model

    torch.manual_seed(0)
    cfg = load_config(args.config)
    names = [f"c{i}" for i in range(20)]
    model = build_model(cfg, args.dim, len(names)).eval()
    x = np.abs(np.random.default_rng(0).standard_normal((args.snippets, args.dim), dtype=np.float32))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    t0 = time.perf_counter()
    res = predict_features(model, cfg, names, x, "long", snippets=args.mode, window=args.window)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"mode": args.mode, "seconds": round(seconds, 2), "peak_GiB": round(peak, 3),
                      "before_GiB": round(base, 3), "sampling": res["sampling"],
                      "detections": len(res["detections"])}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snippets", type=int, default=8000)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    ap.add_argument("--window", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mode", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mode:
        import torch

        torch.set_num_threads(args.threads)
        return child(args)
    rows = []
    for mode in ("host", "windowed", "all"):
        cmd = [sys.executable, __file__, "--mode", mode, "--snippets", str(args.snippets), "--dim", str(args.dim),
               "--config", args.config, "--threads", str(args.threads)]
        if args.window:
            cmd += ["--window", str(args.window)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"| --snippets | T | seconds | peak RSS (GiB) | RSS before (GiB) | sampling |  (D={args.dim}, "
          f"{args.threads} threads, {Path(args.config).name})")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {args.snippets} | {r['seconds']} | {r['peak_GiB']} | {r['before_GiB']} | "
              f"{r['sampling']} |")
    from tal_pyg.utils.io import atomic_write_json

    atomic_write_json(REPO / "benchmarks" / "results" / "predict_long_video.json", {
        "rows": rows, "snippets": args.snippets, "dim": args.dim, "config": str(Path(args.config).name),
        "threads": args.threads, "command": "python benchmarks/predict_long_video.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "python": platform.python_version()})


if __name__ == "__main__":
    main()
