"""Speed of :func:`tal_pyg.evaluation.detection_map` on a THUMOS'14-sized result file.

    python benchmarks/evaluation_speed.py [--ground-truth GT.json] [--num-predictions 105000]

* Ground truth: the real THUMOS'14 ``gt.json`` (BaS-Net layout; 210 test videos, 20 classes,
  3,311 instances), ``--ground-truth`` or ``../shared/data/thumos14/basnet_THUMOS14/gt.json``.
* Predictions (seeded): ~105k per file, 500 per video, half of them jittered copies of the video's
  instances (right or wrong class), half random segments, scores uniform; tIoU 0.1:0.1:0.7.
* Baseline: a direct re-implementation of the official evaluator's structure without pandas
  (per class; per prediction, the tIoU with the ground truth of its video, sorted, then a loop over
  thresholds and instances; a Python loop for the precision envelope). The official code itself
  (pandas + joblib) is not run here; ~23 s is the figure quoted for it on this machine (not re-measured here).
* Scaling sweep: time of ``detection_map`` against the number of predictions (same generator, more
  predictions per video), with the log-log slope (1.0 = linear).

Prints a table and writes ``benchmarks/results/evaluation_speed.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tal_pyg.evaluation import (  # noqa: E402
    TIOU_PRESETS,
    GroundTruth,
    detection_map,
    load_ground_truth,
    load_predictions,
)
from tal_pyg.utils.io import atomic_write_json  # noqa: E402

DEFAULT_GT = REPO.parent / "shared/data/thumos14/basnet_THUMOS14/gt.json"


def synthetic_thumos_gt(seed: int = 0) -> dict:
    """A THUMOS'14-shaped ground truth (210 test videos, 20 classes, ~3.3k instances) when the real
    file is not available."""
    rng = np.random.default_rng(seed)
    db = {}
    for v in range(210):
        classes = rng.choice(20, size=1 + int(rng.random() < 0.15), replace=False)
        anns, t = [], 0.0
        for _ in range(int(rng.integers(1, 32))):
            t += rng.exponential(15.0)
            length = rng.uniform(1.0, 10.0)
            anns.append({"segment": [round(t, 1), round(t + length, 1)], "label": f"class{rng.choice(classes):02d}"})
            t += length
        db[f"video_test_{v:07d}"] = {"subset": "test", "annotations": anns}
    return {"database": db}


def make_predictions(gt: GroundTruth, n_predictions: int, seed: int) -> dict:
    """ActivityNet ``{"results": ...}`` with ``n_predictions`` spread evenly over the videos."""
    rng = np.random.default_rng(seed)
    n_videos = len(gt.videos)
    per_video = np.full(n_videos, n_predictions // n_videos)
    per_video[: n_predictions - per_video.sum()] += 1
    labels = gt.labels
    out = {}
    for vi, video in enumerate(gt.videos):
        mask = gt.video_index == vi
        seg, lab = gt.segments[mask], gt.label_index[mask]
        n = int(per_video[vi])
        if len(seg) == 0:
            out[video] = []
            continue
        duration = float(seg[:, 1].max()) * 1.1 + 10.0
        n_near = n // 2
        j = rng.integers(0, len(seg), n_near)
        centre = seg[j].mean(axis=1) + rng.normal(0.0, 1.0, n_near)
        width = (seg[j, 1] - seg[j, 0]) * np.exp(rng.normal(0.0, 0.3, n_near))
        s_near = np.clip(centre - width / 2, 0.0, None)
        e_near = np.maximum(centre + width / 2, s_near + 0.1)
        c_near = np.where(rng.random(n_near) < 0.85, lab[j], rng.integers(0, len(labels), n_near))
        n_rand = n - n_near
        s_rand = rng.uniform(0.0, duration, n_rand)
        e_rand = s_rand + rng.exponential(5.0, n_rand) + 0.1
        own = np.unique(lab)
        c_rand = np.where(rng.random(n_rand) < 0.7, rng.choice(own, n_rand), rng.integers(0, len(labels), n_rand))
        starts = np.concatenate([s_near, s_rand]).tolist()
        ends = np.concatenate([e_near, e_rand]).tolist()
        classes = np.concatenate([c_near, c_rand]).tolist()
        scores = rng.random(n).tolist()
        out[video] = [
            {"label": labels[c], "score": sc, "segment": [s, e]}
            for c, sc, s, e in zip(classes, scores, starts, ends)
        ]
    return {"version": "benchmark", "results": out}


def official_structure_map(gt: GroundTruth, results: dict, thresholds: np.ndarray) -> np.ndarray:
    """Baseline: the official evaluator's loops, without pandas. Returns AP [C, T]."""
    n_thr = len(thresholds)
    class_of = {c: i for i, c in enumerate(gt.labels)}
    gt_by_class: list[dict[str, list[int]]] = [dict() for _ in gt.labels]
    for k, (v, c) in enumerate(zip(gt.video_index.tolist(), gt.label_index.tolist())):
        gt_by_class[c].setdefault(gt.videos[v], []).append(k)
    preds_by_class: list[list[tuple]] = [[] for _ in gt.labels]
    for video, entries in results["results"].items():
        for e in entries:
            preds_by_class[class_of[e["label"]]].append(
                (video, float(e["score"]), float(e["segment"][0]), float(e["segment"][1]))
            )
    ap = np.zeros((len(gt.labels), n_thr))
    for c in range(len(gt.labels)):
        gt_videos = {v: (np.asarray(idx), gt.segments[idx]) for v, idx in gt_by_class[c].items()}
        npos = float(sum(len(i) for i in gt_by_class[c].values()))
        preds = preds_by_class[c]
        if not preds:
            continue
        scores = np.array([p[1] for p in preds])
        order = np.argsort(-scores, kind="stable")
        lock = -np.ones((n_thr, gt.num_instances))
        tp = np.zeros((n_thr, len(preds)))
        fp = np.zeros((n_thr, len(preds)))
        for idx, pi in enumerate(order):
            video, _, start, end = preds[pi]
            if video not in gt_videos:
                fp[:, idx] = 1
                continue
            gidx, gseg = gt_videos[video]
            inter = (np.minimum(end, gseg[:, 1]) - np.maximum(start, gseg[:, 0])).clip(0)
            union = (gseg[:, 1] - gseg[:, 0]) + (end - start) - inter
            tiou = inter / union
            sorted_idx = np.argsort(-tiou, kind="stable")
            for t, thr in enumerate(thresholds):
                for j in sorted_idx:
                    if tiou[j] < thr:
                        fp[t, idx] = 1
                        break
                    if lock[t, gidx[j]] >= 0:
                        continue
                    tp[t, idx] = 1
                    lock[t, gidx[j]] = idx
                    break
                if fp[t, idx] == 0 and tp[t, idx] == 0:
                    fp[t, idx] = 1
        tpc, fpc = np.cumsum(tp, axis=1), np.cumsum(fp, axis=1)
        rec, prec = tpc / npos, tpc / (tpc + fpc)
        for t in range(n_thr):
            mprec = np.hstack([[0], prec[t], [0]])
            mrec = np.hstack([[0], rec[t], [1]])
            for i in range(len(mprec) - 2, -1, -1):
                mprec[i] = max(mprec[i], mprec[i + 1])
            changed = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
            ap[c, t] = np.sum((mrec[changed] - mrec[changed - 1]) * mprec[changed])
    return ap


CPU_TIMES: dict[str, float] = {}


def timed(fn, repeats: int, name: str = "") -> tuple[float, object]:
    """Median wall-clock seconds of ``repeats`` calls (the CPU-time median goes to CPU_TIMES)."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    if name:
        CPU_TIMES[name] = float(np.median(cpu))
    return float(np.median(times)), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ground-truth", default=str(DEFAULT_GT))
    ap.add_argument("--num-predictions", type=int, default=105_000)
    ap.add_argument("--sweep", type=int, nargs="*",
                    default=[13_125, 26_250, 52_500, 105_000, 210_000, 420_000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--output", default=str(REPO / "benchmarks/results/evaluation_speed.json"))
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")

    if Path(args.ground_truth).is_file():
        gt_source, gt_name = load_ground_truth(args.ground_truth), str(args.ground_truth)
    else:
        print(f"note: {args.ground_truth} not found; using a synthetic THUMOS'14-shaped ground truth")
        gt_source, gt_name = load_ground_truth(synthetic_thumos_gt(args.seed)), "synthetic"
    gt = gt_source.select("test")
    thresholds = TIOU_PRESETS["thumos14"]
    results = make_predictions(gt, args.num_predictions, args.seed)
    preds = load_predictions(results)
    print(f"ground truth: {gt_name}: {len(gt.videos)} test videos, {len(gt.labels)} classes, "
          f"{gt.num_instances} instances; {len(preds)} predictions; {len(thresholds)} thresholds")

    t_dict, r_dict = timed(lambda: detection_map(gt_source, results, thresholds, subset="test"),
                           args.repeats, "detection_map_from_dict")
    t_core, r_core = timed(lambda: detection_map(gt, preds, thresholds), args.repeats,
                           "detection_map_from_arrays")
    t_parse, _ = timed(lambda: load_predictions(results), args.repeats, "read_and_validate_results")
    rows = [("detection_map (from the results dict, incl. validation)", t_dict, "detection_map_from_dict"),
            ("detection_map (from loaded Predictions)", t_core, "detection_map_from_arrays"),
            ("  of which: reading + validating the results dict", t_parse, "read_and_validate_results")]
    report = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__,
                    "note": "2-core CPU shared with other jobs: timings are noisy; median of repeats"},
        "ground_truth": gt_name, "num_videos": len(gt.videos), "num_classes": len(gt.labels),
        "num_ground_truth": gt.num_instances, "num_predictions": len(preds),
        "tiou_thresholds": thresholds.tolist(), "repeats": args.repeats,
        "mAP": r_dict.mAP.tolist(), "average_mAP": r_dict.average_mAP,
        "seconds": {"detection_map_from_dict": t_dict, "detection_map_from_arrays": t_core,
                    "read_and_validate_results": t_parse},
        "official_quoted_seconds": 23.0,
        "speedup_vs_official_quoted": 23.0 / t_dict,
    }
    if not args.skip_baseline:
        t_base, ap_base = timed(lambda: official_structure_map(gt, results, thresholds), 1,
                                "baseline_official_structure")
        diff = float(np.abs(ap_base - r_dict.ap).max())
        rows.append(("baseline: official structure, no pandas (1 run)", t_base, "baseline_official_structure"))
        report["seconds"]["baseline_official_structure"] = t_base
        report["speedup_vs_baseline"] = t_base / t_dict
        report["max_abs_ap_difference_vs_baseline"] = diff
    rows.append(("official evaluator (pandas/joblib), quoted, not run here", 23.0, ""))

    print(f"\n{'what':<58} {'wall s':>8} {'CPU s':>8} {'23 s / wall':>12}")
    for name, sec, key in rows:
        speedup = "" if name.startswith("  ") else f"{23.0 / sec:10.1f}x"
        cpu = f"{CPU_TIMES[key]:8.3f}" if key in CPU_TIMES else ""
        print(f"{name:<58} {sec:8.3f} {cpu:>8} {speedup:>12}")
    report["cpu_seconds"] = dict(CPU_TIMES)
    if "speedup_vs_baseline" in report:
        print(f"speed-up vs the no-pandas baseline: {report['speedup_vs_baseline']:.1f}x; "
              f"max |AP difference| = {report['max_abs_ap_difference_vs_baseline']:.2e}")

    sweep = []
    if args.sweep:
        print(f"\n{'predictions':>12} {'wall s':>8} {'CPU s':>8} {'CPU µs/prediction':>18}")
        for n in args.sweep:
            res_n = load_predictions(make_predictions(gt, n, args.seed + 1))
            sec, r = timed(lambda: detection_map(gt, res_n, thresholds), max(1, args.repeats - 2), "sweep")
            cpu = CPU_TIMES.pop("sweep")
            sweep.append({"num_predictions": n, "seconds": sec, "cpu_seconds": cpu,
                          "cpu_us_per_prediction": 1e6 * cpu / n})
            print(f"{n:12d} {sec:8.3f} {cpu:8.3f} {1e6 * cpu / n:18.2f}")
        if len(sweep) >= 2:
            x = np.log([s["num_predictions"] for s in sweep])
            for key in ("seconds", "cpu_seconds"):
                slope = float(np.polyfit(x, np.log([s[key] for s in sweep]), 1)[0])
                report[f"sweep_loglog_slope_{key}"] = slope
                print(f"log-log slope of {key.replace('_', ' ')} vs predictions: {slope:.2f} (1.0 = linear)")
    report["sweep"] = sweep
    atomic_write_json(args.output, report)
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
