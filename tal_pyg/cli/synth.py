"""``tal-pyg synth``: write the synthetic WTAL benchmark (BaS-Net layout) to a folder.

Example::

    tal-pyg synth --preset thumos-like-small --out data/synth-small --seed 0
    tal-pyg synth --preset thumos-like --out data/synth --seed 1 --set easy_fraction=0.1 --set rgb.noise=0.8
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Dict, List


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    from tal_pyg.config.experiment import SYNTHETIC_PRESET_OF  # the preset names, without importing torch

    presets = sorted(set(SYNTHETIC_PRESET_OF.values()))
    p = subparsers.add_parser(
        "synth", help="generate the synthetic WTAL benchmark (BaS-Net layout)",
        description="Generate a synthetic WTAL dataset in the BaS-Net layout (features/{train,test}/{rgb,flow}/"
                    "VIDEO.npy, gt.json, split lists). Same preset, options and seed give the same bytes.")
    p.add_argument("--preset", default="thumos-like-small", choices=presets,
                   help="preset (default: thumos-like-small)")
    p.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--num-train", type=int, help="number of training videos")
    p.add_argument("--num-test", type=int, help="number of test videos")
    p.add_argument("--feature-dim", type=int, help="feature dimension D (RGB = first D//2 columns)")
    p.add_argument("--structure", help="'thumos14', 'activitynet12', 'thumos14-gt' or a gt.json path")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a SyntheticConfig field (JSON value; rgb.X / flow.X for stream fields)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")
    p.set_defaults(func=run)
    return p


def parse_overrides(items: List[str]) -> Dict[str, Any]:
    """``["a=1", "rgb.noise=0.5"]`` -> ``{"a": 1, "rgb": {"noise": 0.5}}`` (values parsed as JSON if possible)."""
    out: Dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE")
        key, raw = item.split("=", 1)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if "." in key:
            head, sub = key.split(".", 1)
            out.setdefault(head, {})[sub] = value
        else:
            out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    from tal_pyg.datasets.synthetic import generate_synthetic

    overrides = parse_overrides(args.set)
    for name in ("num_train", "num_test", "feature_dim", "structure"):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    start = time.perf_counter()
    out = generate_synthetic(args.preset, args.out, seed=args.seed, overwrite=args.overwrite, **overrides)
    seconds = time.perf_counter() - start
    meta = json.loads((Path(out) / "synthetic.json").read_text(encoding="utf-8"))
    size = sum(f.stat().st_size for f in Path(out).rglob("*") if f.is_file())
    for split in ("train", "test"):
        if split not in meta["summary"]:
            continue
        s = meta["summary"][split]
        print(f"{split}: {s['videos']} videos, {s['snippets']} snippets, {s['instances']} instances")
    print(f"wrote {out} ({size / 2**20:.1f} MiB, D={meta['config']['feature_dim']}) in {seconds:.1f} s")
    return 0
