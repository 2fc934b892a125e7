"""``tal-pyg predict``: detections for one video from a trained checkpoint.

Input: a features file (``--features VIDEO.npy``, ``[T, D]`` with RGB‖flow columns), the two streams
(``--rgb R.npy --flow F.npy``, ``[T, D/2]`` each), or a raw video (``--video VIDEO.mp4`` with the I3D
weights; needs the ``extract`` extra). Output: the detections in the ActivityNet result format (JSON),
a table on screen, optionally CSV / SRT subtitles and a plot of the class activation curves with the
detections and the ground truth (the paper's Figure 3).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

SNIPPET_SECONDS = 16 / 25


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "predict", help="detect actions in one video with a trained checkpoint",
        description="Run a trained checkpoint on one video's features (or on a raw video, with --video) and "
                    "write its detections (ActivityNet result format).")
    p.add_argument("--checkpoint", required=True, help="checkpoints/best.pt of a tal-pyg train run")
    src = p.add_argument_group("input (one of)")
    src.add_argument("--features", help="[T, D] features of one video (.npy, RGB || flow)")
    src.add_argument("--rgb", help="[T, D/2] RGB-stream features (.npy), with --flow")
    src.add_argument("--flow", help="[T, D/2] flow-stream features (.npy), with --rgb")
    src.add_argument("--video", help="a raw video: extract two-stream I3D features first (extra: extract)")
    p.add_argument("--rgb-weights", help="I3D RGB weights (with --video)")
    p.add_argument("--flow-weights", help="I3D flow weights (with --video)")
    p.add_argument("--flow-method", default="tvl1",
                   help="optical flow for --video: tvl1 (default, as the public features), farneback or dis")
    p.add_argument("--resize", type=int, default=256, help="--video: shorter side after resizing, px (default 256)")
    p.add_argument("--crop", type=int, default=224, help="--video: center crop side, px (default 224)")
    p.add_argument("--name", help="video name in the output (default: the file name without extension)")
    p.add_argument("--snippet-seconds", type=float, default=SNIPPET_SECONDS,
                   help="seconds per feature snippet (default 16/25 = 0.64)")
    p.add_argument("--out", "-o", help="detections JSON (default: <name>.detections.json)")
    p.add_argument("--csv", help="also write the detections as CSV")
    p.add_argument("--srt", help="also write the detections as SRT subtitles")
    p.add_argument("--plot", help="PNG of the class activation curves with the detections")
    p.add_argument("--ground-truth", help="ActivityNet-format GT JSON: drawn in the plot when it has the video")
    p.add_argument("--top", type=int, default=20, help="detections shown in the table (default 20)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=run)
    return p


def _load_stream(path: str, what: str) -> np.ndarray:
    from tal_pyg.datasets.npy import load_npy

    arr = np.array(load_npy(path, mmap=True), dtype=np.float32)  # a private, writable copy
    if arr.ndim != 2:
        raise ValueError(f"{path}: {what} features must be a 2-D [T, D] array, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{path}: {what} features are empty (0 snippets)")
    bad = int(arr.size - np.isfinite(arr).sum())
    if bad:
        raise ValueError(f"{path}: {bad} NaN/Inf value(s) in the {what} features")
    return arr


def load_video_features(args: argparse.Namespace, in_channels: int) -> tuple[np.ndarray, str]:
    """The ``[T, in_channels]`` features of the video named by the arguments, checked."""
    given = [n for n in ("features", "rgb", "video") if getattr(args, n)]
    if len(given) != 1 or (args.rgb is None) != (args.flow is None):
        raise ValueError("give exactly one input: --features F.npy, or --rgb R.npy --flow F.npy, or --video V.mp4")
    if args.features:
        x = _load_stream(args.features, "the")
        name = Path(args.features).stem
        if x.shape[1] != in_channels:
            raise ValueError(f"{args.features}: features have {x.shape[1]} columns, but the model expects "
                             f"{in_channels} (RGB || flow)")
    elif args.rgb:
        rgb, flow = _load_stream(args.rgb, "RGB"), _load_stream(args.flow, "flow")
        if rgb.shape[0] != flow.shape[0]:
            raise ValueError(f"{args.rgb} has {rgb.shape[0]} snippets but {args.flow} has {flow.shape[0]}: the "
                             "two streams must have the same length")
        x = np.concatenate([rgb, flow], axis=1)
        name = Path(args.rgb).stem
        if x.shape[1] != in_channels:
            raise ValueError(f"{args.rgb} + {args.flow}: {rgb.shape[1]} + {flow.shape[1]} columns, but the model "
                             f"expects {in_channels}")
    else:
        if not (args.rgb_weights and args.flow_weights):
            raise ValueError("--video needs --rgb-weights and --flow-weights (the I3D checkpoints)")
        from tal_pyg.extract import extract_video_features

        rgb, flow, _ = extract_video_features(args.video, args.rgb_weights, args.flow_weights,
                                              flow=args.flow_method, device=args.device,
                                              resize=args.resize, crop=args.crop)
        x = np.concatenate([np.asarray(rgb, np.float32), np.asarray(flow, np.float32)], axis=1)
        name = Path(args.video).stem
        if x.shape[1] != in_channels:
            raise ValueError(f"{args.video}: extracted features have {x.shape[1]} columns, but the model expects "
                             f"{in_channels}")
    return x, args.name or name


def predict_features(model, cfg, class_names: Sequence[str], x: np.ndarray, name: str,
                     snippet_seconds: float = SNIPPET_SECONDS, device: str = "cpu") -> Dict[str, Any]:
    """Run ``model`` on one video's ``[T, D]`` features with the config's test-time sampling.

    Returns ``{"detections": [...], "cas": [T', C], "video_scores": [C], "step_seconds": float}``.
    """
    import torch
    from torch_geometric.data import Data

    from tal_pyg.datasets import DenseBatch
    from tal_pyg.training.data import eval_transform
    from tal_pyg.training.inference import proposals_to_detections

    t = x.shape[0]
    data = Data(x=torch.from_numpy(np.ascontiguousarray(x)), y=torch.zeros(1, len(class_names)),
                video_name=name, duration=t * snippet_seconds, snippet_seconds=snippet_seconds, num_snippets=t)
    transform = eval_transform(cfg.data)
    if transform is not None:
        data = transform(data)
    batch = DenseBatch.from_data_list([data]).to(device)
    model = model.to(device).eval()
    with torch.no_grad():
        output = model(batch.x, batch.mask)
        proposals = model.predict(output, batch.snippet_seconds, batch.mask.sum(dim=1))[0]
        scores = model.video_scores(output)[0].float().cpu().numpy()
    try:
        cas = model.cas(output)  # [1, T', C]: the curve the head localises on
    except NotImplementedError:
        cas = None
    return {
        "detections": proposals_to_detections(proposals, class_names),
        "cas": None if cas is None else cas[0].float().cpu().numpy(),
        "video_scores": scores,
        "step_seconds": float(batch.snippet_seconds[0]),
    }


def plot_detections(path: str, name: str, result: Dict[str, Any], class_names: Sequence[str],
                    ground_truth: Optional[List[Dict[str, Any]]] = None, max_classes: int = 3) -> None:
    """Class activation curves of the top classes, detections (red) and ground truth (green) below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tal_pyg.utils.io import atomic_open

    scores = result["video_scores"]
    classes = [int(c) for c in np.argsort(-scores)[:max_classes]]
    fig, axes = plt.subplots(len(classes), 1, figsize=(11, 2.2 * len(classes)), squeeze=False)
    step = result["step_seconds"]
    for ax, c in zip(axes[:, 0], classes):
        label = class_names[c]
        if result["cas"] is not None:
            curve = result["cas"][:, c]
            ax.plot(np.arange(len(curve)) * step, curve, color="tab:blue", lw=1, label="class activation")
        for d in result["detections"]:
            if d["label"] == label:
                ax.axvspan(d["segment"][0], d["segment"][1], ymin=0.0, ymax=0.12, color="tab:red", alpha=0.6)
        for g in ground_truth or []:
            if g["label"] == label:
                s, e = (float(v) for v in g["segment"])
                ax.axvspan(s, e, ymin=0.13, ymax=0.25, color="tab:green", alpha=0.6)
        ax.set_ylabel(f"{label}\n(p={scores[c]:.2f})", fontsize=8)
        ax.set_xlim(0, len(result["cas"]) * step if result["cas"] is not None else None)
    axes[-1, 0].set_xlabel("time (s)   —   red: detections, green: ground truth")
    fig.suptitle(name)
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    from tal_pyg.evaluation import write_predictions
    from tal_pyg.training.build import load_model

    model, cfg, state = load_model(args.checkpoint)
    class_names = list(state["class_names"])
    x, name = load_video_features(args, int(state["in_channels"]))
    result = predict_features(model, cfg, class_names, x, name, args.snippet_seconds, args.device)
    dets = result["detections"]
    out = Path(args.out) if args.out else Path(f"{name}.detections.json")
    write_predictions(out, {name: dets}, version=f"tal_pyg predict {Path(args.checkpoint).name}")
    if args.csv or args.srt:
        from tal_pyg.utils import subtitles

        if args.csv:
            subtitles.write_detections_csv(args.csv, dets)
        if args.srt:
            subtitles.write_detections_srt(args.srt, dets)
    if args.plot:
        gt = None
        if args.ground_truth:
            db = json.loads(Path(args.ground_truth).read_text()).get("database", {})
            gt = db.get(name, {}).get("annotations")
        plot_detections(args.plot, name, result, class_names, gt)
    print(f"{name}: {x.shape[0]} snippets ({x.shape[0] * args.snippet_seconds:.1f} s), {len(dets)} detections "
          f"-> {out}")
    top = np.argsort(-result["video_scores"])[:5]
    print("video scores: " + ", ".join(f"{class_names[c]} {result['video_scores'][c]:.3f}" for c in top))
    print(f"{'label':<24} {'score':>8} {'start (s)':>10} {'end (s)':>10}")
    for d in dets[: args.top]:
        print(f"{d['label']:<24} {d['score']:>8.4f} {d['segment'][0]:>10.2f} {d['segment'][1]:>10.2f}")
    if len(dets) > args.top:
        print(f"... {len(dets) - args.top} more in {out}")
    return 0
