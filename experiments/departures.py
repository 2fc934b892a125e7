#!/usr/bin/env python
"""Measured effect of each departure from the released BaS-Net / UM / DGAM code (docs/departures.md).

Trains each head once on the thumos-like-small synthetic benchmark (its demo-sized config, one seed) and
evaluates the *same weights* (the last iteration) on the test split under the old and the new rule of each
departure, with our evaluator (tIoU 0.1:0.7, average and mAP@0.5). The training run evaluates the test
split every ``eval_every`` iterations at tIoU 0.1:0.9, which also gives the iteration each selection metric
would pick (the released code selects on the test set). A rule that only changes training (DGAM's RGB
foreground weight; G2) needs a second run; those rows are one training run each (one seed), labelled so.

    python experiments/departures.py --threads 1          # ~9 min of CPU (524 s measured; --quick:
                                                          # ~5 min), writes experiments/results/departures.json
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
THUMOS = np.linspace(0.1, 0.7, 7)


def _load(name: str, overrides: List[str]):
    from tal_pyg.config import load_config

    return load_config(HERE / "configs" / name, overrides)


def _train(cfg, out: Path, log: Callable[[str], None]):
    from tal_pyg.training import Trainer, load_checkpoint

    t0 = time.process_time()
    trainer = Trainer(cfg, out, log=lambda s: None)
    trainer.fit()
    log(f"  trained {cfg.name} ({cfg.optim.iterations} iterations) in {time.process_time() - t0:.0f} s CPU")
    weights = load_checkpoint(out / "checkpoints" / "last.pt")["model"]
    return trainer, weights


def _evaluate(trainer, weights, cfg, transform, post: Optional[Callable] = None) -> Dict[str, float]:
    """Test mAP of ``weights`` built as ``cfg`` (head settings), sampled by ``transform``; ``post`` may
    rewrite the predictions (emulating a released-code behaviour) before the evaluation."""
    import torch

    from tal_pyg.training.build import build_model
    from tal_pyg.training.inference import evaluate_predictions, predict_split

    model = build_model(cfg, trainer.in_channels, trainer.num_classes)
    model.load_state_dict(weights)
    preds = predict_split(model, trainer.test_set, list(range(len(trainer.test_set))), transform,
                          trainer.class_names, torch.device("cpu"), 8)
    if post is not None:
        preds = post(preds)
    m = evaluate_predictions(preds, trainer.test_set.ground_truth, THUMOS)
    return {"avg": round(100 * m["average_mAP"], 2), "mAP@0.5": round(100 * m["mAP"][4], 2)}


def _with_proposal(cfg, **proposal_values):
    """``cfg`` with ``model.head_config.proposal`` values changed."""
    from tal_pyg.config import load_config

    d = cfg.to_dict()
    head = d["model"]["head_config"]
    d["model"]["head_config"] = {**head, "proposal": {**head.get("proposal", {}), **proposal_values}}
    return load_config(data=d)


def _transform(cfg, rule: str):
    from tal_pyg.training.data import eval_transform

    d = copy.deepcopy(cfg.data)
    d.test_sampling, d.test_min_segments, d.test_num_segments = rule, None, None
    if rule == "clamp":
        d.test_min_segments, d.test_num_segments = 50, 400
    return eval_transform(d)


def _selection(trainer) -> Dict[str, Any]:
    """The iteration each selection metric picks among the test evaluations of the run, and the test
    figures there (tIoU 0.1:0.7 average and mAP@0.5)."""
    rows = [r for r in trainer.metrics.read() if r["split"] == "test" and "selection_value" in r]
    keys = [f"mAP@{t:.2f}" for t in np.linspace(0.1, 0.9, 9)]
    out = {}
    for name, fn in (("average 0.1:0.9", lambda r: np.mean([r[k] for k in keys])),
                     ("average 0.1:0.7", lambda r: np.mean([r[k] for k in keys[:7]])),
                     ("mAP@0.5", lambda r: r["mAP@0.50"])):
        best = max(rows, key=lambda r: (fn(r), -r["iteration"]))  # first maximum, as the trainer
        out[name] = {"iteration": best["iteration"],
                     "avg": round(100 * float(np.mean([best[k] for k in keys[:7]])), 2),
                     "mAP@0.5": round(100 * best["mAP@0.50"], 2)}
    return out


def _lengths(dataset) -> Dict[str, Any]:
    n = np.array([int(dataset[i].x.shape[0]) for i in range(len(dataset))])
    return {"videos": int(n.size), "min": int(n.min()), "median": float(np.median(n)), "max": int(n.max()),
            "shorter_than_50": int((n < 50).sum()), "shorter_than_100": int((n < 100).sum()),
            "longer_than_100": int((n > 100).sum())}


def _drop_class0_only(threshold: float):
    """BaS-Net's ``if pred.any()``: a video whose only class >= threshold is class 0 gets no detection."""
    def post(preds):
        for name, scores in zip(preds.video_names, preds.video_scores):
            picked = np.nonzero(scores >= threshold)[0]
            if picked.size == 1 and picked[0] == 0:
                preds.results[name] = []
        return preds
    return post


def _count_fallback(threshold: float, into: Dict[str, Any]):
    """Records how many test videos have no class >= threshold (where a fallback class is used)."""
    def post(preds):
        into["test videos with no class >= threshold"] = int(sum(1 for s in preds.video_scores
                                                                if not (s >= threshold).any()))
        return preds
    return post


def _binarised_score(class_names, weight: float = 0.2):
    """BaS-Net's binarised class score: the proposal score's ``0.2 p`` term becomes ``0.2 * 1``."""
    index = {c: i for i, c in enumerate(class_names)}

    def post(preds):
        for name, scores in zip(preds.video_names, preds.video_scores):
            for det in preds.results[name]:
                det["score"] = float(det["score"] + weight * (1.0 - scores[index[det["label"]]]))
        return preds
    return post


@contextlib.contextmanager
def _released_class_selection(module, quirk: str):
    """Emulate a released-code class-selection quirk inside one head module's ``predict`` (experiment-only):
    ``"class0-stream"`` — DGAM's ``if prediction.any()``: a stream whose only class is class 0 is skipped;
    ``"fallback-class0"`` — UM's ``np.argmax(score_np[0])``: when no class passes, class 0."""
    original = module.select_classes

    def select(scores, threshold, *, inclusive=True, argmax_if_none=True):
        if quirk == "fallback-class0":
            picked = original(scores, threshold, inclusive=inclusive, argmax_if_none=False)
            return picked if picked.size else np.array([0], dtype=np.int64)
        picked = original(scores, threshold, inclusive=inclusive, argmax_if_none=argmax_if_none)
        return picked[:0] if (picked.size == 1 and picked[0] == 0) else picked

    module.select_classes = select
    try:
        yield
    finally:
        module.select_classes = original


def run(out_root: Path, threads: int, log: Callable[[str], None] = print, quick: bool = False) -> Dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    common = ["train.progress=false", f"train.num_threads={threads}", "train.selection=test-oracle",
              "data.tiou_preset=thumos14-full"]
    result: Dict[str, Any] = {"protocol": (
        "thumos-like-small synthetic benchmark, demo-sized configs, one training run (one seed) per head; every "
        "rule evaluated with the same weights (last iteration) on the 100 test videos, tIoU 0.1:0.7; "
        "selection rows: the iteration each metric picks among the test evaluations of the same run"),
        "threads": threads}
    t_start = time.process_time()

    # ---------------------------------------------------------------- BaS-Net
    cfg = _load("synthetic-small_basnet.yaml", common)
    trainer, w = _train(cfg, out_root / "basnet", log)
    result["test_lengths"] = _lengths(trainer.test_set)
    released = _with_proposal(cfg, argmax_if_none=False)
    sampling = _transform(cfg, "uniform")
    b: Dict[str, Any] = {"config": cfg.name}
    b["ours (argmax_if_none: true, no clip)"] = _evaluate(trainer, w, cfg, sampling)
    b["min-max clipped to [0, 1] (old)"] = _evaluate(trainer, w, _with_proposal(cfg, minmax_clip=True), sampling)
    b["argmax_if_none: false (released)"] = _evaluate(trainer, w, released, sampling)
    b["released + `if pred.any()` (drops class-0-only videos)"] = _evaluate(
        trainer, w, released, sampling, _drop_class0_only(cfg.head_config().proposal.class_threshold))
    b["released + binarised class score"] = _evaluate(trainer, w, released, sampling,
                                                     _binarised_score(trainer.class_names))
    b["selection"] = _selection(trainer)
    result["basnet"] = b
    log(f"  basnet: {json.dumps(b)}")

    # ---------------------------------------------------------------- BaM
    cfg = _load("synthetic-small_bam.yaml", common)
    trainer, w = _train(cfg, out_root / "bam", log)
    cap = _transform(cfg, "cap")
    m: Dict[str, Any] = {"config": cfg.name}
    m["ours (cap sampling, short runs kept in the signal)"] = _evaluate(trainer, w, cfg, cap)
    m["uniform sampling to T (old)"] = _evaluate(trainer, w, cfg, _transform(cfg, "uniform"))
    m["short runs zeroed in the signal (old)"] = _evaluate(trainer, w, _with_proposal(cfg, short_runs_in_signal=False),
                                                           cap)
    m["min-max not clipped"] = _evaluate(trainer, w, _with_proposal(cfg, minmax_clip=False), cap)
    import tal_pyg.models.bam as bam_module
    import tal_pyg.models.dgam as dgam_module

    with _released_class_selection(bam_module, "fallback-class0"):
        m["released fallback: class 0 when no class passes (UM's np.argmax of a scalar)"] = _evaluate(
            trainer, w, cfg, cap, _count_fallback(cfg.head_config().proposal.class_threshold, m))
    m["selection"] = _selection(trainer)
    result["bam"] = m
    log(f"  bam: {json.dumps(m)}")

    # ---------------------------------------------------------------- DGAM
    cfg = _load("synthetic-small_dgam.yaml", common)
    trainer, w = _train(cfg, out_root / "dgam", log)
    clamp = _transform(cfg, "clamp")
    g: Dict[str, Any] = {"config": cfg.name}
    g["ours (clamp(L, 50, 400) sampling, fg weights 1.0 / 1.0)"] = _evaluate(trainer, w, cfg, clamp)
    g["uniform sampling to T (old)"] = _evaluate(trainer, w, cfg, _transform(cfg, "uniform"))
    with _released_class_selection(dgam_module, "class0-stream"):
        g["released `if prediction.any()` (a class-0-only stream is skipped)"] = _evaluate(trainer, w, cfg, clamp)
    g["selection"] = _selection(trainer)
    if not quick:
        old = _load("synthetic-small_dgam.yaml", common + ["model.head_config.fg_weights=[1.5, 1.0]"])
        trainer15, w15 = _train(old, out_root / "dgam_fg15", log)
        g["fg weights 1.5 / 1.0 (old; another training run, one seed)"] = _evaluate(trainer15, w15, old, clamp)
    result["dgam"] = g
    log(f"  dgam: {json.dumps(g)}")

    # ---------------------------------------------------------------- G2 (BaS-Net + ACGNet)
    from tal_pyg.graph import build_action_complement_graph

    acg = _load("synthetic-small_basnet_acgnet.yaml", common)
    a = acg.model.acgnet
    edges = {}
    for label, graph, scale in (("G2 = As - At (new)", "similarity_minus_temporal", 1.0),
                                ("G2 = (As - At)/2 (old)", "similarity_minus_temporal", 0.5)):
        per_node = []
        for i in range(len(trainer.test_set)):
            x = trainer.test_set[i].x.double()
            # the old reading (As - At)/2 > lambda is As - At > 2 lambda
            ei, _ = build_action_complement_graph(x, k=a.k, threshold=a.threshold / scale, alpha=a.alpha, z=a.z,
                                                  graph=graph)
            per_node.append(ei.shape[1] / x.shape[0])
        edges[label] = round(float(np.mean(per_node)), 3)
    result["g2"] = {"edges per snippet (test videos, K = 10, lambda = 0.85)": edges,
                    "BaS-Net baseline (= the old G2, which had no edge)": b["ours (argmax_if_none: true, no clip)"]}
    if not quick:
        g2 = _load("synthetic-small_basnet_acgnet.yaml", common + ["model.acgnet.graph=similarity_minus_temporal"])
        trainer_g2, w_g2 = _train(g2, out_root / "basnet_acgnet_g2", log)
        result["g2"]["BaS-Net + ACGNet G2 (new), one training run"] = _evaluate(
            trainer_g2, w_g2, g2, _transform(g2, "uniform"))
    log(f"  g2: {json.dumps(result['g2'])}")
    result["cpu_seconds"] = round(time.process_time() - t_start, 1)
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1, help="torch threads (results depend on it by summation order)")
    p.add_argument("--out", default=str(HERE / "results" / "departures.json"))
    p.add_argument("--runs", default=str(Path("runs") / "departures"), help="folder of the training runs")
    p.add_argument("--quick", action="store_true",
                   help="skip the two extra training runs (DGAM with the old RGB weight; BaS-Net + ACGNet with G2)")
    args = p.parse_args(argv)
    runs = Path(args.runs)
    if runs.exists():
        import shutil

        shutil.rmtree(runs)
    result = run(runs, args.threads, quick=args.quick)
    quick = " --quick" if args.quick else ""
    result["command"] = f"python experiments/departures.py --threads {args.threads}{quick}"
    from tal_pyg.utils.io import atomic_write_json

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(Path(args.out), result)
    print(f"wrote {args.out} ({result['cpu_seconds']} s CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
