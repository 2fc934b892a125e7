"""``tal-pyg evaluate``: detection mAP of an ActivityNet-format results file.

    tal-pyg evaluate --ground-truth gt.json --predictions results.json \\
        --subset test --preset thumos14
    tal-pyg evaluate --ground-truth gt.json --predictions results.json --tiou 0.3 0.5 0.7 --json

Prints a table of mAP (percent) per tIoU threshold, or with ``--json`` one JSON object with keys
``tiou_thresholds``, ``mAP``, ``average_mAP``, ``ap_per_class`` (fractions) and the counts.
Without ``--subset`` / ``--tiou`` / ``--preset``, the settings recorded in a ``predictions.json`` of
``tal-pyg train`` are used (else every video and the ActivityNet thresholds); one line on stderr says
which settings were used and where they came from. Warnings (predictions on videos without ground truth,
a subset without any prediction, a ground-truth label outside the class list) go to stderr, one line each.
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
                   help="evaluate only the videos of this subset (e.g. test, validation), or 'all'; "
                   "default: the subset recorded in the predictions file (tal-pyg train writes it), else all")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--tiou", type=float, nargs="+", metavar="T", help="tIoU thresholds")
    g.add_argument("--preset", choices=sorted(TIOU_PRESETS),
                   help="threshold preset: thumos14 = 0.1:0.1:0.7, thumos14-full = 0.1:0.1:0.9, "
                   "activitynet = 0.5:0.05:0.95; default: the thresholds recorded in the predictions file, "
                   "else activitynet")
    p.add_argument("--ambiguous", metavar="FILE", default=None,
                   help="THUMOS'14 Ambiguous_test.txt: drop predictions overlapping these segments "
                   "(W-TALC protocol; off by default)")
    p.add_argument("--allow-unknown-labels", action="store_true",
                   help="drop predictions whose label is not in the ground truth (with a warning) "
                   "instead of failing")
    p.add_argument("--classes", metavar="FILE", default=None,
                   help="class list (one name per line): warn about ground-truth labels outside it; default: "
                   "the list recorded in the predictions file")
    p.add_argument("--per-class", action="store_true", help="also print the AP of every class")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--output", metavar="FILE", default=None,
                   help="also write the JSON object to FILE (atomic write)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from tal_pyg.evaluation import detection_map, load_predictions
    from tal_pyg.evaluation.detection import resolve_evaluation_settings
    from tal_pyg.utils.io import atomic_write_json

    predictions = load_predictions(args.predictions)
    class_names = None
    if args.classes:
        from tal_pyg.utils.io import read_text  # not datasets.read_name_list: no torch here

        class_names = [x.strip() for x in read_text(args.classes, "class-list").split("\n")
                       if x.strip() and not x.strip().startswith("#")]
    thresholds = args.tiou if args.tiou is not None else args.preset
    settings = resolve_evaluation_settings(predictions, thresholds, args.subset, class_names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = detection_map(
            args.ground_truth,
            predictions,
            tiou_thresholds=settings.tiou_thresholds,
            subset=settings.subset if settings.subset is not None else "all",
            ambiguous=args.ambiguous,
            unknown_labels="warn" if args.allow_unknown_labels else "error",
            class_names=settings.class_names,
        )
    print(f"tal-pyg evaluate: {settings.describe()}", file=sys.stderr)
    if (predictions.evaluation or {}).get("ambiguous") and args.ambiguous is None:
        print("tal-pyg evaluate: warning: the run dropped predictions overlapping ambiguous segments "
              "(data.ambiguous); pass --ambiguous FILE to do the same", file=sys.stderr)
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
