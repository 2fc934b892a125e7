"""``tal-pyg convert``: turn W-TALC's pickled feature file into the safe per-video BaS-Net layout.

Example::

    tal-pyg convert /data/wtalc --dataset-name Thumos14reduced --out /data/thumos14-basnet --trust-pickle
"""
from __future__ import annotations

import argparse
import time


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "convert", help="convert W-TALC pickled features into per-video .npy files (BaS-Net layout)",
        description="Read <Name>-I3D-JOINTFeatures.npy and <Name>-Annotations/ (pickled: needs --trust-pickle) "
                    "and write features/{train,test}/{rgb,flow}/VIDEO.npy, gt.json, split lists and classes.txt.")
    p.add_argument("root", help="folder with the W-TALC files")
    p.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    p.add_argument("--dataset-name", help="e.g. Thumos14reduced or ActivityNet1.2 (default: the only one found)")
    p.add_argument("--feature-type", default="I3D", help="feature type in the file name (default I3D)")
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow reading the pickled W-TALC files (they can run code: only for trusted files)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from tal_pyg.datasets.convert import convert_wtalc_to_basnet

    if not args.trust_pickle:
        raise ValueError("W-TALC files are pickled object arrays; rerun with --trust-pickle if you trust them")
    start = time.perf_counter()
    out = convert_wtalc_to_basnet(args.root, args.out, dataset_name=args.dataset_name, trust_pickle=True,
                                  feature_type=args.feature_type, overwrite=args.overwrite)
    counts = {s: len((out / f"split_{s}.txt").read_text().split()) for s in ("train", "test")}
    print(f"wrote {out}: {counts['train']} train / {counts['test']} test videos "
          f"in {time.perf_counter() - start:.1f} s")
    return 0
