"""Speed of the post-processing (:mod:`tal_pyg.postprocess`) on a THUMOS'14-sized test set.

    python benchmarks/postprocess_speed.py [--videos 210] [--snippets 750] [--seed 0]

* Input (seeded): ``--videos`` videos of ``--snippets`` snippets and 20 classes; each video's CAS holds
  1-3 smooth bumps of 1-2 classes on a noisy background; video scores select 1-2 classes.
* tal_pyg: :func:`tal_pyg.postprocess.cas_to_proposals` with BaS-Net's recipe (min-max normalisation,
  x24 linear upsampling, 10 thresholds grouped at once over (class, threshold), outer-inner contrast,
  class-wise NMS 0.7 with the reference "+1" IoU convention).
* Baseline: the same recipe written the way the BaS-Net / BaM reference code does it (per threshold, per
  class: ``np.where``, ``np.split`` grouping, a Python loop over proposals with index lists for the outer
  region, list-based NMS). Both must give the same proposals (checked; ``max_abs_diff`` in the JSON).

Prints a table and writes ``benchmarks/results/postprocess_speed.json``.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tal_pyg.postprocess import ProposalConfig, cas_to_proposals, minmax_normalize, select_classes  # noqa: E402
from tal_pyg.utils.io import atomic_write_json  # noqa: E402


def make_inputs(videos: int, snippets: int, classes: int, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    t = np.arange(snippets)
    for _ in range(videos):
        cas = rng.normal(-1.0, 0.3, size=(snippets, classes))
        scores = rng.dirichlet(np.full(classes, 0.3))
        picked = rng.choice(classes, size=1 + int(rng.random() < 0.3), replace=False)
        scores[picked] += 0.5
        scores /= scores.sum()
        for c in picked:
            for _ in range(int(rng.integers(1, 4))):
                mid, width = rng.uniform(0, snippets), rng.uniform(5, 40)
                cas[:, c] += 4.0 * np.exp(-0.5 * ((t - mid) / width) ** 2)
        out.append((cas, scores))
    return out


def baseline(cas, scores, seconds, cfg: ProposalConfig):
    """Reference-code style loops (BaS-Net utils.get_proposal_oic + utils.nms)."""
    pred = select_classes(scores, cfg.class_threshold, argmax_if_none=cfg.argmax_if_none)
    a = minmax_normalize(cas, axis=0)[:, pred]
    n = a.shape[0]
    pos = np.arange(n * cfg.upsample) / cfg.upsample
    up = np.stack([np.interp(pos, np.arange(n), a[:, k]) for k in range(a.shape[1])], 1)
    tail = pos > n - 1  # linear extrapolation past the last snippet
    up[tail] = a[-1] + (pos[tail, None] - (n - 1)) * (a[-1] - a[-2])
    step = seconds / cfg.upsample
    by_class = {}
    for th in cfg.thresholds:
        tmp = up.copy()
        tmp[tmp <= th] = 0
        for k, c in enumerate(pred):
            idx = np.where(tmp[:, k] > 0)[0]
            if not idx.size:
                continue
            for g in np.split(idx, np.where(np.diff(idx) != 1)[0] + 1):
                inner = np.mean(tmp[g, k])
                length = len(g)
                os_ = max(0, int(g[0] - cfg.margin_ratio * length))
                oe = min(tmp.shape[0] - 1, int(g[-1] + cfg.margin_ratio * length))
                outer_idx = list(range(os_, int(g[0]))) + list(range(int(g[-1] + 1), oe + 1))
                outer = np.mean(tmp[outer_idx, k]) if outer_idx else 0.0
                score = inner - outer + cfg.score_weight * scores[c]
                by_class.setdefault(c, []).append([c, score, g[0] * step, (g[-1] + 1) * step])
    kept = []
    for c in sorted(by_class):
        props = sorted(by_class[c], key=lambda p: -p[1])
        while props:
            best = props.pop(0)
            kept.append(best)
            rest = []
            for p in props:
                inter = max(0.0, min(best[3], p[3]) - max(best[2], p[2]) + cfg.nms_length_offset)
                union = (best[3] - best[2] + cfg.nms_length_offset) + (p[3] - p[2] + cfg.nms_length_offset) - inter
                if inter / union < cfg.nms_threshold:
                    rest.append(p)
            props = rest
    return np.asarray(kept, dtype=np.float64).reshape(-1, 4)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=210)
    ap.add_argument("--snippets", type=int, default=750)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cfg = ProposalConfig(nms_length_offset=1.0)  # BaS-Net's recipe
    data = make_inputs(args.videos, args.snippets, 20, args.seed)
    seconds = 0.64

    t0, c0 = time.perf_counter(), time.process_time()
    ours = [cas_to_proposals(cas, s, seconds, cfg) for cas, s in data]
    t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    ref = [baseline(cas, s, seconds, cfg) for cas, s in data]
    t_ref, c_ref = time.perf_counter() - t0, time.process_time() - c0

    diff = 0.0
    for a, b in zip(ours, ref):
        if a.shape != b.shape:
            raise SystemExit(f"mismatch: {a.shape} proposals vs baseline {b.shape}")
        diff = max(diff, float(np.abs(a - b).max()) if a.size else 0.0)
    n_props = int(sum(len(p) for p in ours))
    rows = [("tal_pyg (vectorised)", t_ours, c_ours), ("reference-style loops", t_ref, c_ref)]
    print(f"post-processing, BaS-Net recipe: {args.videos} videos x {args.snippets} snippets, 20 classes, "
          f"x{cfg.upsample}, {len(cfg.thresholds)} thresholds -> {n_props} proposals after NMS")
    print("| implementation | wall s | CPU s | ms / video |")
    print("|---|---|---|---|")
    for name, w, c in rows:
        print(f"| {name} | {w:.3f} | {c:.3f} | {1000 * w / args.videos:.2f} |")
    print(f"speed-up (CPU time): {c_ref / c_ours:.1f}x; identical proposals (max abs diff {diff:.2e})")
    result = {
        "benchmark": "postprocess_speed",
        "videos": args.videos, "snippets": args.snippets, "classes": 20, "upsample": cfg.upsample,
        "thresholds": len(cfg.thresholds), "proposals_after_nms": n_props, "seed": args.seed,
        "tal_pyg": {"wall_s": t_ours, "cpu_s": c_ours},
        "reference_loops": {"wall_s": t_ref, "cpu_s": c_ref},
        "speedup_cpu": c_ref / c_ours, "max_abs_diff": diff,
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
    }
    out = REPO / "benchmarks" / "results" / "postprocess_speed.json"
    atomic_write_json(out, result)
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
