"""``tal-pyg evaluate``: detection mAP of an ActivityNet-format results file.

    tal-pyg evaluate --ground-truth gt.json --predictions results.json \\
        --subset test --preset thumos14
    tal-pyg evaluate --ground-truth gt.json --predictions results.json --tiou 0.3 0.5 0.7 --json

Prints a table of mAP (percent) per tIoU threshold, or with ``--json`` one JSON object with keys
``tiou_thresholds``, ``mAP``, ``average_mAP``, ``ap_per_class`` (fractions) and the counts.
Warnings (e.g. predictions on videos without ground truth) go to stderr, one line each.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings

from tal_pyg.evaluation.tiou import TIOU_PRESETS


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate",
        help="detection mAP of a results file (ActivityNet-exact)",
        description="Detection mAP at tIoU thresholds, with the numbers of the official "
        "ActivityNet evaluator. Inputs are ActivityNet-format JSON files.",
    )
    p.add_argument("--ground-truth", required=True, metavar="GT.json",
                   help='ground truth: {"database": {video: {"subset", "annotations"}}}')
    p.add_argument("--predictions", required=True, metavar="RESULTS.json",
                   help='detections: {"results": {video: [{"label", "score", "segment"}]}}')
    p.add_argument("--subset", default=None,
                   help="evaluate only the videos of this subset (e.g. test, validation); "
                   "default: all")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--tiou", type=float, nargs="+", metavar="T", help="tIoU thresholds")
    g.add_argument("--preset", choices=sorted(TIOU_PRESETS),
                   help="threshold preset: thumos14 = 0.1:0.1:0.7, thumos14-full = 0.1:0.1:0.9, "
                   "activitynet = 0.5:0.05:0.95 (the default)")
    p.add_argument("--ambiguous", metavar="FILE", default=None,
                   help="THUMOS'14 Ambiguous_test.txt: drop predictions overlapping these segments "
                   "(W-TALC protocol; off by default)")
    p.add_argument("--allow-unknown-labels", action="store_true",
                   help="drop predictions whose label is not in the ground truth (with a warning) "
                   "instead of failing")
    p.add_argument("--per-class", action="store_true", help="also print the AP of every class")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--output", metavar="FILE", default=None,
                   help="also write the JSON object to FILE (atomic write)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from tal_pyg.evaluation import detection_map
    from tal_pyg.utils.io import atomic_write_json

    thresholds = args.tiou if args.tiou is not None else (args.preset or "activitynet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = detection_map(
            args.ground_truth,
            args.predictions,
            tiou_thresholds=thresholds,
            subset=args.subset,
            ambiguous=args.ambiguous,
            unknown_labels="warn" if args.allow_unknown_labels else "error",
        )
    for w in caught:
        print(f"tal-pyg evaluate: warning: {w.message}", file=sys.stderr)
    out = result.to_dict()
    if args.output:
        atomic_write_json(args.output, out)
    if args.json:
        print(json.dumps(out))
    else:
        print(result.format_table(per_class=args.per_class))
    return 0
