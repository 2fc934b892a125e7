"""Cost of the training pre-flight (:func:`tal_pyg.training.preflight.open_checked_splits`) on a synthetic
dataset, against opening the two splits with header checks only (what training did before the pre-flight).

    python benchmarks/preflight.py [--train 600] [--test 300] [--dim 256] [--root DIR]

Generates the ``thumos-like-small`` benchmark with the given sizes (or reuses ``--root``), then times, with a
warm page cache (the files were just written or read), opening both splits with ``validate="header"`` and
the pre-flight (``validate="full"``: every array read once, shapes, lengths, widths, finiteness).
Prints a table and writes ``benchmarks/results/preflight.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tal_pyg.config import load_config  # noqa: E402
from tal_pyg.datasets import generate_synthetic  # noqa: E402
from tal_pyg.training.data import open_split  # noqa: E402
from tal_pyg.training.preflight import open_checked_splits  # noqa: E402
from tal_pyg.utils.io import atomic_write_json  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=int, default=600)
    ap.add_argument("--test", type=int, default=300)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--root", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    root = Path(args.root or tempfile.mkdtemp(prefix="tal_pyg_preflight_")) / "data"
    if not (root / "gt.json").is_file():
        t0 = time.perf_counter()
        generate_synthetic("thumos-like-small", root, seed=0, num_train=args.train, num_test=args.test,
                           feature_dim=args.dim)
        print(f"generated {root} in {time.perf_counter() - t0:.1f} s")
    cfg = load_config(data={"data": {"dataset": "features", "root": str(root)}}).data
    size = sum(f.stat().st_size for f in (root / "features").rglob("*.npy"))
    rows = []
    for name, fn in (("header", lambda: [open_split(cfg, s, print, validate="header") for s in ("train", "test")]),
                     ("pre-flight", lambda: open_checked_splits(cfg, print)[:2])):
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            train, test = fn()
            best = min(best, time.perf_counter() - t0)
        videos = len(train) + len(test)
        rows.append({"check": name, "videos": videos, "seconds": round(best, 3),
                     "ms_per_video": round(1000 * best / videos, 3), "MB_per_s": round(size / 2**20 / best, 1)})
    print(f"| check | videos | seconds | ms / video | MB/s |  ({size / 2**20:.0f} MiB of features, D={args.dim})")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['check']} | {r['videos']} | {r['seconds']} | {r['ms_per_video']} | {r['MB_per_s']} |")
    out = {"rows": rows, "feature_bytes": size, "dim": args.dim,
           "command": "python benchmarks/preflight.py " + " ".join(sys.argv[1:]),
           "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared)",
           "python": platform.python_version()}
    atomic_write_json(REPO / "benchmarks" / "results" / "preflight.json", out)


if __name__ == "__main__":
    main()
