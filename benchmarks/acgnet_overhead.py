#!/usr/bin/env python
"""ACGNet's training-step overhead over its host, measured vs predicted from its FLOP count.

For each head (BaS-Net, BaM, DGAM at their paper shapes, or ``--setting demo``), the trainer's step
(``train_iteration(..., sync=False)``, every phase, forward + backward + optimiser) is timed with and
without ACGNet; the measured overhead is ``t(head + ACGNet) - t(head)``. The predicted overhead is
ACGNet's FLOP count per step divided by this machine's measured float32 GEMM rate
(``torch.mm`` of ``[B T, D] x [D, D]``, the shape of the GCN layers, same threads), where the FLOPs
per phase and per stream (``N = B T`` nodes, ``E`` edges of the actual graph, ``M`` layers) are

* graph construction (no grad): the cosine ``bmm`` of Eq. 1, ``2 B T^2 D * 3/4`` (symmetry);
* GCN (Eq. 6): forward ``2 N D^2`` per layer; backward the weight gradient ``2 N D^2`` per layer and the
  input gradient ``2 N D^2`` for layers 2..M (layer 1's input ``A F`` needs none);
* every phase runs the forward pass, only the phase that trains ACGNet the backward pass and EPM (DGAM
  has two phases, its CVAE phase leaves ACGNet alone);
* sparse aggregations ``A X``: ``2 E D`` each, ``M`` forward + ``M - 1`` backward;
* EPM (Eq. 8): one sparse product ``2 E D`` and ``O(N D)`` element-wise work (counted ``8 N D``).

The goal is measured <= 1.1 x predicted. The GEMM rate is measured before and after the step timings
(the machine is shared; both are reported and the mean is used).

    python benchmarks/acgnet_overhead.py                          # paper shapes, all three heads
    python benchmarks/acgnet_overhead.py --heads basnet --steps 2
    python benchmarks/acgnet_overhead.py --setting demo           # seconds

Prints a table and writes ``benchmarks/results/acgnet_overhead.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from train_throughput import CONFIGS, FEATURE_DIM, OVERRIDES, SETTINGS, worker  # noqa: E402

from tal_pyg.utils.io import atomic_write_json  # noqa: E402


def gemm_rate(n: int, d: int, repeats: int = 5) -> float:
    """float32 GFLOP/s of ``[n, d] @ [d, d]`` (median of ``repeats`` after a warm-up)."""
    a, b = torch.rand(n, d), torch.rand(d, d)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * n * d * d / statistics.median(times) / 1e9


def acgnet_flops(cfg, feature_dim: int, num_phases: int, num_streams: int) -> dict:
    """FLOPs of ACGNet in one training iteration (see the module docstring), from the config and the
    edge count of the graph on the benchmark's own features."""
    from tal_pyg.graph import build_action_complement_graph

    b, t = cfg.optim.batch_size, cfg.data.num_segments
    d = feature_dim // num_streams
    m = cfg.model.acgnet.num_layers
    torch.manual_seed(0)
    x = torch.rand(b, t, feature_dim)  # the features train_throughput.worker uses (same seed and shape)
    edges = 0
    for s in range(num_streams):
        ei, _ = build_action_complement_graph(x[..., s * d:(s + 1) * d], k=cfg.model.acgnet.k,
                                              threshold=cfg.model.acgnet.threshold, check_values=False)
        edges += ei.size(1)
    n = b * t
    per_stream_edges = edges / num_streams
    # every phase runs the forward pass; only the phase that trains ACGNet (trains_input: the one phase of
    # BaS-Net / BaM, DGAM's "model" phase) runs its backward pass and the EPM loss
    forward = {
        "graph_cosine_bmm": 2 * b * t * t * d * 0.75,
        "gcn_gemm_forward": 2 * n * d * d * m,
        "sparse_aggregation_forward": 2 * per_stream_edges * d * m,
    }
    backward = {
        "gcn_gemm_backward": 2 * n * d * d * (m + (m - 1)),
        "sparse_aggregation_backward": 2 * per_stream_edges * d * (m - 1),
        "epm": 2 * per_stream_edges * d + 8 * n * d,
    }
    per_iteration = {k: v * num_streams * num_phases for k, v in forward.items()}
    per_iteration.update({k: v * num_streams for k, v in backward.items()})
    return {"B": b, "T": t, "D_stream": d, "M": m, "K": cfg.model.acgnet.k, "streams": num_streams,
            "phases": num_phases, "edges_per_stream": per_stream_edges, "flops": per_iteration,
            "total_flops": sum(per_iteration.values())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--setting", default="paper", choices=sorted(SETTINGS))
    ap.add_argument("--heads", nargs="+", default=["basnet", "bam", "dgam"])
    ap.add_argument("--steps", type=int, default=2, help="timed steps per cell (median)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None, help="override optim.batch_size (a smaller B, same T and D)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/acgnet_overhead.json")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from tal_pyg.config import load_config

    dim = FEATURE_DIM[args.setting]
    load_start = os.getloadavg()
    rows = []
    extra = list(OVERRIDES.get(args.setting, []))
    if args.batch:
        extra.append(f"optim.batch_size={args.batch}")
    for head in args.heads:
        config = SETTINGS[args.setting][head]
        cfg = load_config(CONFIGS / f"{config}.yaml", overrides=["model.acgnet.enabled=true", *extra])
        phases, streams = (2, 2) if head == "dgam" else (1, 1)
        flops = acgnet_flops(cfg, dim, phases, streams)
        rate_before = gemm_rate(cfg.optim.batch_size * cfg.data.num_segments, dim // streams)
        bare = worker(config, False, dim, args.steps, "cpu", "fp32", tuple(extra))
        with_acg = worker(config, True, dim, args.steps, "cpu", "fp32", tuple(extra))
        rate_after = gemm_rate(cfg.optim.batch_size * cfg.data.num_segments, dim // streams)
        rate = (rate_before + rate_after) / 2
        measured = with_acg["step_s"] - bare["step_s"]
        predicted = flops["total_flops"] / (rate * 1e9)
        row = {"head": head, "config": config, "step_bare_s": bare["step_s"], "step_acgnet_s": with_acg["step_s"],
               "measured_overhead_s": measured, "predicted_overhead_s": predicted,
               "measured_over_predicted": measured / predicted,
               "gemm_gflops_before": rate_before, "gemm_gflops_after": rate_after, "gemm_gflops": rate,
               "goal_le_1.1x_met": measured / predicted <= 1.1, **flops}
        rows.append(row)
        atomic_write_json(args.out, {"meta": {"partial": True}, "rows": rows})  # kept if a later head is cut short
        print(f"  {head}: bare {bare['step_s']:.3f} s, +ACGNet {with_acg['step_s']:.3f} s, overhead "
              f"{measured:.3f} s vs predicted {predicted:.3f} s ({row['measured_over_predicted']:.2f}x) at "
              f"{rate:.0f} GFLOP/s", flush=True)
    print("| head | B x T x D | edges/stream | ACGNet GFLOP/step | GEMM GFLOP/s (before/after) | step bare (s) | "
          "step +ACGNet (s) | overhead measured (s) | predicted (s) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['head']} | {r['B']}x{r['T']}x{r['D_stream'] * r['streams']} | {r['edges_per_stream']:.0f} | "
              f"{r['total_flops'] / 1e9:.1f} | {r['gemm_gflops_before']:.0f} / {r['gemm_gflops_after']:.0f} | "
              f"{r['step_bare_s']:.3f} | {r['step_acgnet_s']:.3f} | {r['measured_overhead_s']:.3f} | "
              f"{r['predicted_overhead_s']:.3f} | {r['measured_over_predicted']:.2f}x |")
    meta = {"processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads(), "torch": torch.__version__, "setting": args.setting,
            "steps": args.steps, "batch_override": args.batch, "load_average_start": load_start,
            "load_average_end": os.getloadavg(),
            "goal": "measured overhead <= 1.1 x FLOP-predicted overhead"}
    atomic_write_json(args.out, {"meta": meta, "rows": rows})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
