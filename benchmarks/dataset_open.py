"""Opening and reading speed of :class:`tal_pyg.datasets.WTALFeatures` on a large BaS-Net-layout folder.

    python benchmarks/dataset_open.py [--videos 10000] [--snippets 180] [--dim 1024] [--root DIR]

Writes ``--videos`` videos (RGB + flow ``.npy`` files of ``(T, dim)`` float32, T drawn around
``--snippets``) and a ``gt.json`` into a temporary folder (or ``--root``), then times

* opening the dataset (annotation parsing, folder listing, one ``.npy`` header per file),
* opening with ``validate="full"`` (reads every file once: NaN / all-zero checks),
* reading 200 random videos (memory-mapped reads + concatenation to float32).

Files are written as the page cache allows, so the read times are warm-cache times.
Prints a table and writes ``benchmarks/results/dataset_open.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tal_pyg.datasets import WTALFeatures  # noqa: E402
from tal_pyg.utils.io import atomic_write_json  # noqa: E402


def write(root: Path, n: int, snippets: int, dim: int, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    db = {}
    total = 0
    for s in ("rgb", "flow"):
        (root / "features" / "train" / s).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = f"v{i:06d}"
        T = int(max(4, rng.normal(snippets, snippets / 3)))
        total += T
        arr = rng.random((T, dim), dtype=np.float32)
        for s in ("rgb", "flow"):
            np.save(root / "features" / "train" / s / f"{name}.npy", arr)
        db[name] = {"subset": "train", "duration": T * 0.64,
                    "annotations": [{"segment": [0.0, 1.0], "label": f"c{i % 100}"}]}
    (root / "gt.json").write_text(json.dumps({"database": db}))
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=10000)
    ap.add_argument("--snippets", type=int, default=180)
    ap.add_argument("--dim", type=int, default=1024)
    ap.add_argument("--root", type=Path)
    args = ap.parse_args()
    root = args.root or Path(tempfile.mkdtemp(prefix="tal_pyg_open_"))
    try:
        t = time.perf_counter()
        snippets = write(root, args.videos, args.snippets, args.dim)
        t_write = time.perf_counter() - t
        t = time.perf_counter()
        ds = WTALFeatures(root, split="train")
        t_open = time.perf_counter() - t
        t = time.perf_counter()
        WTALFeatures(root, split="train", validate="full")
        t_full = time.perf_counter() - t
        idx = np.random.default_rng(1).choice(len(ds), size=min(200, len(ds)), replace=False)
        t = time.perf_counter()
        for i in idx:
            ds[int(i)]
        t_read = (time.perf_counter() - t) / len(idx)
    finally:
        if args.root is None:
            shutil.rmtree(root, ignore_errors=True)
    size_gb = snippets * args.dim * 2 * 4 / 1e9
    rows = [("videos", f"{args.videos}"), ("feature data (GB)", f"{size_gb:.2f}"),
            ("write (s)", f"{t_write:.1f}"), ("open, headers only (s)", f"{t_open:.2f}"),
            ("open, validate='full' (s)", f"{t_full:.2f}"), ("read one video (ms)", f"{t_read * 1e3:.2f}")]
    width = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    out = {"videos": args.videos, "snippets": snippets, "dim_per_stream": args.dim, "data_gb": size_gb,
           "write_s": t_write, "open_headers_s": t_open, "open_full_s": t_full, "read_video_ms": t_read * 1e3,
           "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared)",
           "python": platform.python_version()}
    atomic_write_json(REPO / "benchmarks" / "results" / "dataset_open.json", out)


if __name__ == "__main__":
    main()
