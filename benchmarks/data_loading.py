#!/usr/bin/env python
"""Training batches per second from memory-mapped ``.npy`` features, with 0 and N loader workers.

Writes a BaS-Net-layout folder of random two-stream features (``--videos`` videos of
``--min-snippets .. --max-snippets`` snippets, ``D = --dim``, one ``.npy`` per video and stream), opens
it with :class:`tal_pyg.datasets.WTALFeatures` (memory-mapped reads, NaN/Inf check) and runs the
trainer's loader (:func:`tal_pyg.training.loader.make_train_loader`: random-perturbed sampling to ``T``,
padding, collation; pinned memory when ``--device cuda``) for each worker count. A batch is ready when
it is on the training device. The paper shape is B = 16, T = 750, D = 2048 (BaS-Net on THUMOS'14).

The files are read once before timing, so they are in the page cache (warm): the figure is the
loader's CPU cost, not the disk's. It is set against the training-step time of the same shape from
``--step-json`` (``benchmarks/train_throughput.py`` output, rows of ``--step-config``): the loader
keeps up when batches/s >= 1 / step time.

    python benchmarks/data_loading.py                       # paper shape, 0 and 2 workers
    python benchmarks/data_loading.py --videos 8 --dim 64 --max-snippets 120 --batches 4   # tiny

Prints a table and writes ``benchmarks/results/data_loading.json``.
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
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tal_pyg.utils.io import atomic_write_json  # noqa: E402


def write_dataset(root: Path, videos: int, dim: int, lo: int, hi: int, seed: int = 0) -> int:
    """A BaS-Net-layout folder of random non-negative features; returns the bytes written."""
    rng = np.random.default_rng(seed)
    names = [f"video_{i:04d}" for i in range(videos)]
    gt = {"database": {}}
    total = 0
    for split in ("train", "test"):
        for stream in ("rgb", "flow"):
            (root / "features" / split / stream).mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        t = int(rng.integers(lo, hi + 1))
        for stream in ("rgb", "flow"):
            arr = rng.random((t, dim // 2), dtype=np.float32)
            np.save(root / "features" / "train" / stream / f"{name}.npy", arr)
            total += arr.nbytes
        gt["database"][name] = {"subset": "validation", "duration": t * 0.64,
                                "annotations": [{"label": f"class{i % 4}", "segment": [0.0, 0.3 * t * 0.64]}]}
    (root / "gt.json").write_text(json.dumps(gt))
    (root / "split_train.txt").write_text("\n".join(names) + "\n")
    (root / "split_test.txt").write_text("")
    (root / "classes.txt").write_text("\n".join(f"class{c}" for c in range(4)) + "\n")
    return total


def measure(root: Path, workers: int, batch: int, num_segments: int, batches: int, device: str) -> dict:
    from tal_pyg.datasets import WTALFeatures
    from tal_pyg.training.data import BatchSampler, train_transform
    from tal_pyg.training.loader import PlannedBatches, make_train_loader
    from tal_pyg.config.experiment import DataConfig

    dataset = WTALFeatures(root, split="train", layout="basnet")
    cfg = DataConfig(dataset="features", root=str(root), num_segments=num_segments)
    sampler = BatchSampler(len(dataset), batch, seed=0)
    plan = PlannedBatches(sampler, list(range(len(dataset))), 0, batches + 1)
    dev = torch.device(device)
    loader = make_train_loader(dataset, train_transform(cfg), 0, plan, num_workers=workers,
                               pin_memory=dev.type == "cuda")
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    start = time.perf_counter()
    it = iter(loader)
    first = next(it).to(dev, non_blocking=True)  # worker start-up and the first batch: not timed
    sync()
    first_s = time.perf_counter() - start
    shape = tuple(first.batch.x.shape)
    start = time.perf_counter()
    for item in it:
        item.to(dev, non_blocking=True)
    sync()
    seconds = time.perf_counter() - start
    return {"workers": workers, "batches": batches, "seconds": seconds, "batches_per_s": batches / seconds,
            "first_batch_s": first_s, "batch_shape": list(shape), "pin_memory": dev.type == "cuda"}


def step_time(path: Path, config: str, device: str) -> dict:
    """Training-step times of ``config`` (with and without ACGNet) from a train_throughput JSON."""
    if not path.is_file():
        return {}
    rows = json.loads(path.read_text()).get("rows", [])
    out = {}
    for r in rows:
        if r.get("config") == config and r.get("device", "cpu").split(":")[0] == device.split(":")[0] \
                and r.get("precision", "fp32") == "fp32":
            out["acgnet" if r["acgnet"] else "bare"] = r["step_s"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", type=int, default=48)
    ap.add_argument("--min-snippets", type=int, default=300)
    ap.add_argument("--max-snippets", type=int, default=1500)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--num-segments", type=int, default=750, help="T")
    ap.add_argument("--batches", type=int, default=12, help="timed batches per worker count")
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--root", type=Path, default=None, help="folder for the generated features (default: a temp dir)")
    ap.add_argument("--step-json", type=Path, default=REPO / "benchmarks/results/train_throughput.json")
    ap.add_argument("--step-config", default="thumos14_basnet")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/data_loading.json")
    args = ap.parse_args(argv)

    tmp = None
    root = args.root
    if root is None:
        tmp = Path(tempfile.mkdtemp(prefix="tal_pyg_loading_"))
        root = tmp / "data"
    try:
        t0 = time.perf_counter()
        nbytes = write_dataset(root, args.videos, args.dim, args.min_snippets, args.max_snippets)
        write_s = time.perf_counter() - t0
        for f in (root / "features").rglob("*.npy"):  # warm the page cache: time the loader, not the disk
            f.read_bytes()
        rows = [measure(root, w, args.batch, args.num_segments, args.batches, args.device) for w in args.workers]
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    steps = step_time(args.step_json, args.step_config, args.device)
    print(f"{args.videos} videos, {nbytes / 2**20:.0f} MiB of memory-mapped .npy (written in {write_s:.1f} s), "
          f"batch {args.batch} x T={args.num_segments} x D={args.dim}, device {args.device}")
    print("| workers | batches/s | ms/batch | first batch (s) | keeps up with step (bare / +ACGNet) |")
    print("|---|---|---|---|---|")
    for r in rows:
        keeps = " / ".join(f"{r['batches_per_s'] * s:.1f}x" for s in (steps.get("bare"), steps.get("acgnet"))
                           if s is not None) or "no step time"
        r["batches_per_step"] = {k: r["batches_per_s"] * v for k, v in steps.items()}
        print(f"| {r['workers']} | {r['batches_per_s']:.2f} | {1000 / r['batches_per_s']:.1f} | "
              f"{r['first_batch_s']:.2f} | {keeps} |")
    if steps:
        print(f"step time of {args.step_config} ({args.step_json.name}): "
              + ", ".join(f"{k} {v:.3f} s" for k, v in steps.items())
              + "; 'Nx' = batches the loader makes per training step (>= 1: it keeps up)")
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    result = {
        "machine": {"processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
                    "torch": torch.__version__, "threads": torch.get_num_threads(), "load_average": load,
                    "device": args.device,
                    "gpu": torch.cuda.get_device_name() if args.device.startswith("cuda") else None},
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "dataset_mib": nbytes / 2**20, "page_cache": "warm (every file read once before timing)",
        "step_time_s": steps, "rows": rows,
    }
    atomic_write_json(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
