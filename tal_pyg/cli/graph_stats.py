"""``tal-pyg graph-stats``: what the action complement graph looks like on a features folder.

    tal-pyg graph-stats /data/THUMOS14                       # ACG defaults, every snippet, train split
    tal-pyg graph-stats /data/THUMOS14 --ground-truth gt.json --split test -k 50 --z 10
    tal-pyg graph-stats /data/THUMOS14 --config experiments/configs/thumos14_basnet_acgnet.yaml

Builds the graph of every video (Eq. 1-4; no model, no training) and prints its mean in-degree,
isolated snippets, the temporal distance ``|i - j|`` of the edges and, where the videos have
annotations (the layout's own or ``--ground-truth``), the share of edges that join snippets of the
same label, overall and per class (``docs/method.md``, "Reading the graph statistics").
"""
from __future__ import annotations

import argparse
import json
from typing import Any, Dict

from tal_pyg.graph.params import DEFAULT_GRAPH  # light: no torch

#: The graph defaults of the action complement graph (Eq. 2-4).
_DEFAULTS = {key: getattr(DEFAULT_GRAPH, key) for key in ("k", "threshold", "alpha", "z", "graph")}


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "graph-stats",
        help="statistics of the action complement graph on a features folder",
        description="Degree, isolated snippets, edge distance |i - j| and (with annotations) the "
        "share of edges joining snippets of the same label, of the action complement graph built on "
        "every video of a split. No training.",
    )
    p.add_argument("features", metavar="FEATURES_DIR",
                   help="dataset folder in any supported layout (basnet, wtalc, dgam)")
    p.add_argument("--ground-truth", metavar="GT.json", default=None,
                   help="ActivityNet-format ground truth (default: the layout's own annotations)")
    p.add_argument("--split", choices=("train", "test"), default="train")
    p.add_argument("--layout", default="auto", help="auto (default), basnet, wtalc or dgam")
    p.add_argument("--modality", default="all", choices=("all", "rgb", "flow"))
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow reading pickled feature files (W-TALC layout; trusted files only)")
    p.add_argument("--config", metavar="CFG.yaml", default=None,
                   help="take the graph settings (model.acgnet) and the test-time sampling from an "
                   "experiment config; the flags below override it")
    p.add_argument("-k", "--k", type=int, default=None, help=f"top-K per row (default {_DEFAULTS['k']})")
    p.add_argument("--threshold", type=float, default=None,
                   help=f"lambda, keep entries above it (default {_DEFAULTS['threshold']})")
    p.add_argument("--alpha", type=float, default=None, help=f"weight of A^t (default {_DEFAULTS['alpha']})")
    p.add_argument("--z", type=int, default=None, help=f"diffusion range Z (default {_DEFAULTS['z']})")
    p.add_argument("--graph", default=None,
                   choices=("full", "similarity", "similarity_minus_temporal", "temporal_only"),
                   help="graph variant (default full)")
    p.add_argument("--num-segments", type=int, default=None, metavar="T",
                   help="sample every video uniformly to T steps first (as a model sees it); "
                   "default: every snippet, or the config's test-time sampling with --config")
    p.add_argument("--max-videos", type=int, default=None, metavar="N", help="only the first N videos")
    p.add_argument("--per-class", action="store_true", help="also print the purity of every class")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--output", metavar="FILE", default=None, help="also write the JSON object to FILE")
    p.set_defaults(func=run)
    return p


def _settings(args: argparse.Namespace):
    """``(graph kwargs, transform)`` from the config (if any), then the flags."""
    settings: Dict[str, Any] = dict(_DEFAULTS)
    transform = None
    if args.config is not None:
        from tal_pyg.config import load_config
        from tal_pyg.training.data import eval_transform

        cfg = load_config(args.config)
        a = cfg.model.acgnet
        settings.update(k=a.k, threshold=a.threshold, alpha=a.alpha, z=a.z, graph=a.graph)
        transform = eval_transform(cfg.data)
    for key in _DEFAULTS:
        value = getattr(args, key)
        if value is not None:
            settings[key] = value
    if args.num_segments is not None:
        from tal_pyg.transforms import UniformSampling

        if args.num_segments < 1:
            raise ValueError(f"--num-segments must be >= 1, got {args.num_segments}")
        transform = UniformSampling(args.num_segments)
    if args.max_videos is not None and args.max_videos < 1:
        raise ValueError(f"--max-videos must be >= 1, got {args.max_videos}")
    return settings, transform


def _format(summary: Dict[str, Any], settings: Dict[str, Any], per_class: bool) -> str:
    def pct(v: Any) -> str:
        return "n/a" if v is None else f"{100 * v:.1f} %"

    def num(v: Any) -> str:
        return "n/a" if v is None else f"{v:.2f}"

    lines = [
        "graph: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
        f"videos {summary['graphs']}, snippets {summary['snippets']}, edges {summary['edges']}",
        f"mean in-degree      {num(summary['mean_in_degree'])} (max {summary['max_in_degree']})",
        f"isolated snippets   {pct(summary['isolated_fraction'])}",
        f"mean edge |i - j|   {num(summary['mean_edge_distance'])}",
        "edge |i - j|        " + ", ".join(f"{b}: {n}" for b, n in summary["edge_distance_histogram"].items()),
    ]
    if "action_purity" in summary:
        lines += [
            f"action snippets     {pct(summary['action_snippet_fraction'])}",
            f"same-label edges    {pct(summary['same_label_edge_fraction'])}",
            f"action purity       {pct(summary['action_purity'])} of the edges into action snippets "
            "come from a snippet of the same class",
        ]
        if per_class:
            lines.append("| class | edges into | purity |")
            lines.append("|---|---|---|")
            for name, row in summary["per_class"].items():
                lines.append(f"| {name} | {row['edges_into']} | {pct(row['purity'])} |")
    else:
        lines.append("no annotations: pass --ground-truth GT.json for the label statistics")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from tal_pyg.datasets import WTALFeatures
    from tal_pyg.datasets.snippet_labels import snippet_labels
    from tal_pyg.graph import build_action_complement_graph
    from tal_pyg.graph.statistics import GraphStatistics
    from tal_pyg.utils.io import atomic_write_json

    settings, transform = _settings(args)
    ds = WTALFeatures(args.features, split=args.split, layout=args.layout, modality=args.modality,
                      trust_pickle=args.trust_pickle, annotation_file=args.ground_truth)
    if len(ds) == 0:
        raise ValueError(f"{args.features}: split {args.split!r} has no videos")
    stats = GraphStatistics(class_names=ds.class_names)
    n = len(ds) if args.max_videos is None else min(args.max_videos, len(ds))
    # labels only where the videos are annotated at all (else every snippet would count as background)
    labelled = args.ground_truth is not None or any(
        ds.annotation(name).instances for name in ds.video_names)
    for i in range(n):
        d = ds[i]
        if transform is not None:
            d = transform(d)
        num_nodes = int(d.x.size(0))
        edge_index, _ = build_action_complement_graph(d.x, **settings)
        labels = (snippet_labels(d.gt_segments, d.gt_labels, num_nodes, float(d.snippet_seconds))
                  if labelled else None)
        stats.update(edge_index, num_nodes, labels)
    out = {"features": str(args.features), "split": args.split, "settings": settings,
           **stats.summary()}
    if args.output:
        atomic_write_json(args.output, out)
    print(json.dumps(out) if args.json else _format(out, settings, args.per_class))
    return 0
