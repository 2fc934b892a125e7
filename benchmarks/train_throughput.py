#!/usr/bin/env python
"""Training-step time, videos/s and peak memory of each head with and without ACGNet.

Two shape settings:

* ``paper``: the papers' shapes: BaS-Net B = 16, T = 750, D = 2048 (K = 50); BaM B = 16, T = 400 (K = 40);
  DGAM B = 32, T = 400, two streams of 1024 (K = 40); hidden widths as published.
* ``demo``: the ``synthetic-small`` configs (D = 256, T = 200, K = 20, CPU-sized widths).
* ``tiny``: the demo configs at D = 32, T = 40, B = 4, K = 4 (seconds; the device check's dry run).

``--precisions fp32 bf16 fp16`` times each cell under each ``train.precision`` (autocast; the graph
is built from the float32 similarity either way).

Each (head, ACGNet on/off, setting) runs in a fresh subprocess so that its peak memory (CPU: peak RSS;
CUDA: ``torch.cuda.max_memory_allocated``) is its own. A step is the trainer's full iteration: every
training phase of the head (DGAM: CVAE then model), forward, loss, backward, optimiser step, on random
features (graph construction included for ACGNet), through the trainer's host-sync-free path
(``train_iteration(..., sync=False)``, ``mask=None`` for unpadded batches).

    python benchmarks/train_throughput.py                 # both settings, 3 timed steps each
    python benchmarks/train_throughput.py --quick         # demo shapes only
    python benchmarks/train_throughput.py --device cuda

Prints a table and writes ``benchmarks/results/train_throughput.json``.
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
sys.path.insert(0, str(REPO))  # this checkout's tal_pyg, also in the per-cell subprocesses
CONFIGS = REPO / "experiments" / "configs"
SETTINGS = {
    "paper": {"basnet": "thumos14_basnet", "bam": "thumos14_bam", "dgam": "thumos14_dgam"},
    "demo": {"basnet": "synthetic-small_basnet", "bam": "synthetic-small_bam", "dgam": "synthetic-small_dgam"},
    "tiny": {"basnet": "synthetic-small_basnet", "bam": "synthetic-small_bam", "dgam": "synthetic-small_dgam"},
}
FEATURE_DIM = {"paper": 2048, "demo": 256, "tiny": 32}
#: config overrides of a setting (besides the ACGNet switch)
OVERRIDES = {"tiny": ["data.num_segments=40", "optim.batch_size=4", "model.acgnet.k=4"]}


def worker(config: str, acgnet: bool, feature_dim: int, steps: int, device: str, precision: str = "fp32",
           extra_overrides: tuple = ()) -> dict:
    import torch

    from tal_pyg.config import load_config
    from tal_pyg.models import parameter_count
    from tal_pyg.training.build import build_model, build_optimizers
    from tal_pyg.training.step import MixedPrecision, train_iteration

    overrides = [f"model.acgnet.enabled={'true' if acgnet else 'false'}", *extra_overrides]
    cfg = load_config(CONFIGS / f"{config}.yaml", overrides=overrides)
    torch.manual_seed(0)
    dev = torch.device(device)
    b, t, c = cfg.optim.batch_size, cfg.data.num_segments, 20
    model = build_model(cfg, feature_dim, c).to(dev)
    opts = build_optimizers(model, cfg.optim)
    x = torch.rand(b, t, feature_dim, device=dev)
    y = torch.zeros(b, c, device=dev)
    y[torch.arange(b), torch.randint(0, c, (b,))] = 1
    amp = MixedPrecision(precision, dev)

    def step(i: int) -> None:  # the trainer's step on an unpadded batch: mask=None, nothing read on the host
        train_iteration(model, opts, x, None, y, i, precision=amp, sync=False)

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    step(0)  # warm-up
    sync()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        step(i + 1)
        sync()
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    peak = (torch.cuda.max_memory_allocated() if dev.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"config": config, "acgnet": acgnet, "batch": b, "T": t, "D": feature_dim, "device": device,
            "precision": precision,
            "parameters": parameter_count(model), "step_s": med, "videos_per_s": b / med,
            "peak_memory_mib": peak / 2**20, "steps": steps, "threads": torch.get_num_threads()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="demo shapes only")
    ap.add_argument("--settings", nargs="*", choices=sorted(SETTINGS), help="shape settings (default: both)")
    ap.add_argument("--steps", type=int, default=3, help="timed steps per cell (median reported)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--heads", nargs="*", default=["basnet", "bam", "dgam"])
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/train_throughput.json"))
    ap.add_argument("--precisions", nargs="+", default=["fp32"], choices=["fp32", "bf16", "fp16"],
                    help="train.precision values to time (default fp32)")
    ap.add_argument("--in-process", action="store_true",
                    help="run every cell in this process (fast start; peak memory is then not per cell)")
    ap.add_argument("--worker", nargs=4, metavar=("CONFIG", "ACGNET", "D", "STEPS"), help=argparse.SUPPRESS)
    ap.add_argument("--worker-precision", default="fp32", help=argparse.SUPPRESS)
    ap.add_argument("--worker-overrides", nargs="*", default=[], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        config, acg, dim, steps = args.worker
        print(json.dumps(worker(config, acg == "1", int(dim), int(steps), args.device, args.worker_precision,
                                tuple(args.worker_overrides))))
        return 0
    settings = args.settings or (["demo"] if args.quick else ["demo", "paper"])
    rows = []
    for setting in settings:
        for head in args.heads:
            for precision in args.precisions:
                pair = {}
                for acg in (False, True):
                    cmd = [sys.executable, __file__, "--device", args.device, "--worker", SETTINGS[setting][head],
                           "1" if acg else "0", str(FEATURE_DIM[setting]), str(args.steps),
                           "--worker-precision", precision]
                    if OVERRIDES.get(setting):
                        cmd += ["--worker-overrides", *OVERRIDES[setting]]
                    if args.in_process:
                        row = worker(SETTINGS[setting][head], acg, FEATURE_DIM[setting], args.steps, args.device,
                                     precision, tuple(OVERRIDES.get(setting, ())))
                    else:
                        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
                        if proc.returncode != 0:
                            print(proc.stderr, file=sys.stderr)
                            return 1
                        row = json.loads(proc.stdout.strip().splitlines()[-1])
                    row.update({"setting": setting, "head": head})
                    pair[acg] = row
                    rows.append(row)
                    print(f"  {setting} {head} {precision} ACGNet={'yes' if acg else 'no'}: "
                          f"{row['step_s']:.4f} s/step", flush=True)
                pair[True]["acgnet_overhead"] = pair[True]["step_s"] / pair[False]["step_s"]
    print("| setting | head | precision | ACGNet | B x T x D | params (M) | step (s) | videos/s | "
          "peak mem (MiB) | overhead |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ov = f"{r['acgnet_overhead']:.2f}x" if "acgnet_overhead" in r else ""
        print(f"| {r['setting']} | {r['head']} | {r.get('precision', 'fp32')} | {'yes' if r['acgnet'] else 'no'} | "
              f"{r['batch']}x{r['T']}x{r['D']} | "
              f"{r['parameters'] / 1e6:.2f} | {r['step_s']:.3f} | {r['videos_per_s']:.1f} | "
              f"{r['peak_memory_mib']:.0f} | {ov} |")
    import torch

    meta = {"machine": platform.processor() or platform.machine(), "python": platform.python_version(),
            "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name() if args.device.startswith("cuda") else None,
            "load_average": os.getloadavg(),
            "device": args.device, "note": "median of timed steps after one warm-up; CPU peak memory = peak RSS "
            "of the worker process (includes the Python/torch runtime)"}
    out = Path(args.out)
    sys.path.insert(0, str(REPO))
    from tal_pyg.utils.io import atomic_write_json

    # rows of earlier runs for other (setting, head) cells are kept, so the settings can be run separately
    key = lambda r: (r["setting"], r["head"], r.get("precision", "fp32"), r["acgnet"], r.get("device", "cpu"))  # noqa: E731
    if out.is_file():
        fresh = {key(r) for r in rows}
        rows = [r for r in json.loads(out.read_text())["rows"] if key(r) not in fresh] + rows
    atomic_write_json(out, {"meta": meta, "rows": sorted(rows, key=key)})
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
