"""``tal-pyg predict``: detections for one video from a trained checkpoint.

Input: a features file (``--features VIDEO.npy``, ``[T, D]`` with RGB‖flow columns), the two streams
(``--rgb R.npy --flow F.npy``, ``[T, D/2]`` each), or a raw video (``--video VIDEO.mp4`` with the I3D
weights; needs the ``extract`` extra). Output: the detections in the ActivityNet result format (JSON),
a table on screen, optionally CSV / SRT subtitles and a plot of the class activation curves with the
detections and the ground truth (the paper's Figure 3).

Inference sampling (``--snippets``, printed on every run; docs/reliability.md has the measured cost):

* ``host`` (default): the test-time rule of the checkpoint's head and config
  (:func:`tal_pyg.training.data.eval_transform`), i.e. what the test evaluation of ``tal-pyg train`` did;
  the right choice for videos as long as the training videos. A video down-sampled by more than
  :data:`DOWNSAMPLE_WARN_FACTOR` gets a warning: one step then covers several seconds and short actions
  cannot be localised.
* ``all``: every snippet at once; exact for long videos, memory grows with ``T`` (ACGNet's graph is
  ``O(T K)``, the dense block ``O(block T)``).
* ``windowed``: windows of ``--window`` snippets (default: the training length ``data.num_segments``)
  overlapping by ``--overlap``, every snippet kept; the detections of all windows are merged with the
  head's NMS. Memory bounded by one batch of windows whatever the length, at about 1.5x the time of ``all``
  (50 % overlap): for videos whose ``all`` pass does not fit in (GPU) memory.

Long videos: ``all`` when it fits, else ``windowed``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

SNIPPET_SECONDS = 16 / 25
SNIPPET_MODES = ("host", "all", "windowed")
#: ``--snippets host`` warns when a video is down-sampled by more than this factor (a step of more than
#: 4 x 0.64 = 2.56 s: most THUMOS'14 actions then span one or two steps)
DOWNSAMPLE_WARN_FACTOR = 4.0
#: windows evaluated in one forward pass (``--snippets windowed``)
WINDOWS_PER_BATCH = 8
#: columns of one I3D stream (``--video``)
I3D_STREAM_DIM = 1024


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
    p.add_argument("--snippets", choices=SNIPPET_MODES, default="host",
                   help="inference sampling: host = the head's test-time rule (default; as tal-pyg train "
                   "evaluated), all = every snippet at once, windowed = overlapping windows of every snippet, "
                   "detections merged by NMS (long videos)")
    p.add_argument("--window", type=int, default=None,
                   help="--snippets windowed: snippets per window (default: the config's data.num_segments)")
    p.add_argument("--overlap", type=float, default=0.5,
                   help="--snippets windowed: overlap of consecutive windows, in [0, 1) (default 0.5)")
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
        check_video_inputs(args, in_channels)  # before hours of extraction
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


def check_video_inputs(args: argparse.Namespace, in_channels: int) -> None:
    """``--video``: the files exist and the checkpoint takes two-stream I3D features, before extraction."""
    for what, path in (("video", args.video), ("--rgb-weights", args.rgb_weights),
                       ("--flow-weights", args.flow_weights)):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: {what} file not found")
    if in_channels != 2 * I3D_STREAM_DIM:
        raise ValueError(f"{args.checkpoint}: the model takes {in_channels} feature columns, but --video extracts "
                         f"two-stream I3D features ({I3D_STREAM_DIM} + {I3D_STREAM_DIM} = {2 * I3D_STREAM_DIM}): "
                         "this checkpoint was trained on other features; nothing was extracted")


def _window_starts(length: int, window: int, overlap: float) -> List[int]:
    """Starts of windows of ``window`` snippets, ``overlap`` apart, the last one ending at ``length``."""
    if length <= window:
        return [0]
    stride = max(1, int(round(window * (1.0 - overlap))))
    starts = list(range(0, length - window, stride))
    return starts + [length - window]


def _forward(model, datas: List[Any], device: str) -> List[Dict[str, Any]]:
    """Proposals ``[P, 4]``, video scores ``[C]`` and CAS ``[T_i, C]`` (or None) of each ``Data``."""
    import torch

    from tal_pyg.datasets import DenseBatch

    batch = DenseBatch.from_data_list(datas).to(device)
    with torch.no_grad():
        output = model(batch.x, batch.mask)
        lengths = batch.mask.sum(dim=1)
        proposals = model.predict(output, batch.snippet_seconds, lengths)
        scores = model.video_scores(output).float().cpu().numpy()
    try:
        cas = model.cas(output)  # [B, T', C]: the curve the head localises on
    except NotImplementedError:
        cas = None
    out = []
    for b, n in enumerate(lengths.tolist()):
        out.append({"proposals": np.asarray(proposals[b], dtype=np.float64).reshape(-1, 4), "scores": scores[b],
                    "cas": None if cas is None else cas[b, :int(n)].float().cpu().numpy()})
    return out


def describe_sampling(snippets: str, transform: Any, num_snippets: int, steps: int, step_seconds: float,
                      window: Optional[int] = None, num_windows: int = 1) -> str:
    """One line: the inference sampling of a video."""
    if snippets == "windowed":
        return (f"sampling: windowed, {num_windows} window(s) of {window} snippets, every snippet "
                f"({step_seconds:.2f} s per step)")
    rule = "every snippet" if transform is None else repr(transform)
    what = "host rule" if snippets == "host" else "all"
    factor = num_snippets / steps
    return (f"sampling: {what} ({rule}): {num_snippets} snippets -> {steps} steps "
            f"(x{factor:.3g} {'down' if factor >= 1 else 'up'}-sampled, {step_seconds:.2f} s per step)")


def predict_features(model, cfg, class_names: Sequence[str], x: np.ndarray, name: str,
                     snippet_seconds: float = SNIPPET_SECONDS, device: str = "cpu", snippets: str = "host",
                     window: Optional[int] = None, overlap: float = 0.5) -> Dict[str, Any]:
    """Run ``model`` on one video's ``[T, D]`` features with the inference sampling ``snippets`` (see the
    module docstring).

    Returns ``{"detections": [...], "cas": [T', C], "video_scores": [C], "step_seconds": float,
    "sampling": str (one line), "downsampling": float (snippets per step)}``.
    """
    import torch
    from torch_geometric.data import Data

    from tal_pyg.postprocess.proposals import suppress
    from tal_pyg.training.data import eval_transform
    from tal_pyg.training.inference import proposals_to_detections

    if snippets not in SNIPPET_MODES:
        raise ValueError(f"snippets must be one of {SNIPPET_MODES}, got {snippets!r}")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"--overlap must lie in [0, 1), got {overlap}")
    t = x.shape[0]
    model = model.to(device).eval()
    if snippets != "host" and cfg.data.feature_scale != 1.0:  # "host": the eval transform scales
        x = x * np.float32(cfg.data.feature_scale)

    def as_data(features: np.ndarray) -> Any:
        n = features.shape[0]
        return Data(x=torch.from_numpy(np.ascontiguousarray(features)), y=torch.zeros(1, len(class_names)),
                    video_name=name, duration=n * snippet_seconds, snippet_seconds=snippet_seconds, num_snippets=n)

    if snippets in ("host", "all"):
        transform = eval_transform(cfg.data) if snippets == "host" else None
        data = as_data(x)
        if transform is not None:
            data = transform(data)
        steps = int(data.x.shape[0])
        step_seconds = float(data.snippet_seconds)
        res = _forward(model, [data], device)[0]
        proposals, scores, cas = res["proposals"], res["scores"], res["cas"]
        line = describe_sampling(snippets, transform, t, steps, step_seconds)
    else:
        size = int(window or cfg.data.num_segments)
        if size < 1:
            raise ValueError(f"--window must be >= 1, got {size}")
        starts = _window_starts(t, size, overlap)
        parts: List[Dict[str, Any]] = []
        for k in range(0, len(starts), WINDOWS_PER_BATCH):
            chunk = starts[k:k + WINDOWS_PER_BATCH]
            parts += _forward(model, [as_data(x[s:s + size]) for s in chunk], device)
        merged = []
        for s, part in zip(starts, parts):
            p = part["proposals"].copy()
            p[:, 2:] += s * snippet_seconds
            merged.append(p)
        pc = getattr(getattr(model, "head", model), "proposal_config")
        proposals = suppress(np.concatenate(merged), pc.nms_threshold, use_soft_nms=pc.soft_nms,
                             soft_nms_sigma=pc.soft_nms_sigma, length_offset=pc.nms_length_offset)
        scores = np.max(np.stack([part["scores"] for part in parts]), axis=0)
        cas = None
        if all(part["cas"] is not None for part in parts):  # overlapping windows averaged
            total = np.zeros((t, parts[0]["cas"].shape[1]), dtype=np.float64)
            count = np.zeros((t, 1))
            for s, part in zip(starts, parts):
                total[s:s + part["cas"].shape[0]] += part["cas"]
                count[s:s + part["cas"].shape[0]] += 1
            cas = (total / np.maximum(count, 1)).astype(np.float32)
        steps, step_seconds = t, float(snippet_seconds)
        line = describe_sampling(snippets, None, t, steps, step_seconds, size, len(starts))
    return {
        "detections": proposals_to_detections(proposals, class_names),
        "cas": cas,
        "video_scores": scores,
        "step_seconds": step_seconds,
        "sampling": line,
        "downsampling": t / steps,
    }


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ValueError("--plot needs matplotlib, which is not installed: pip install 'tal-pyg[plot]'") from None


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

    if args.plot:
        _require_matplotlib()
    model, cfg, state = load_model(args.checkpoint)
    class_names = list(state["class_names"])
    x, name = load_video_features(args, int(state["in_channels"]))
    result = predict_features(model, cfg, class_names, x, name, args.snippet_seconds, args.device,
                              snippets=args.snippets, window=args.window, overlap=args.overlap)
    print(f"{name}: {result['sampling']}")
    if result["downsampling"] > DOWNSAMPLE_WARN_FACTOR:
        print(f"tal-pyg predict: warning: {name}: down-sampled x{result['downsampling']:.3g} to "
              f"{result['step_seconds']:.2f} s per step (more than x{DOWNSAMPLE_WARN_FACTOR:g}): actions shorter "
              "than a few steps cannot be localised; use --snippets all (or windowed)", file=sys.stderr)
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
