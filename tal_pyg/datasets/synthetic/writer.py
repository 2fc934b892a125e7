"""Writing the synthetic benchmark in the BaS-Net layout, atomically (see :mod:`tal_pyg.datasets.synthetic`)."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Union

import numpy as np

from tal_pyg.datasets.synthetic.config import SyntheticConfig, resolve_config, rng_stream
from tal_pyg.datasets.synthetic.features import make_world, video_features
from tal_pyg.datasets.synthetic.structure import build_structure, summarize_structure

PathLike = Union[str, "os.PathLike[str]"]

#: version of the generated files (``synthetic.json``); a cached benchmark of another version is rebuilt
GENERATOR_VERSION = 1


def generate_synthetic(preset: Union[str, SyntheticConfig], out_dir: PathLike, seed: int = 0,
                       overwrite: bool = False, **overrides: Any) -> Path:
    """Write a synthetic WTAL dataset in the BaS-Net layout and return its folder.

    Args:
        preset: a name in :data:`SYNTHETIC_PRESETS` or a :class:`SyntheticConfig`.
        out_dir: output folder (must not exist or be empty unless ``overwrite``).
        seed: random seed; same configuration + seed ⇒ same bytes.
        overwrite: replace an existing non-empty folder.
        **overrides: fields of :class:`SyntheticConfig` to change (``rgb``/``flow`` may be dicts).

    The folder is assembled in a temporary sibling and moved into place at the end, so an
    interrupted run never leaves a half-written dataset.
    """
    cfg = resolve_config(preset, dict(overrides))
    seed = int(seed)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"{out}: output folder exists and is not empty (pass overwrite=True / --overwrite)")
    videos, classes = build_structure(cfg, seed)
    if len(classes) != cfg.num_classes:  # a real ground-truth file with other classes than the config's
        cfg = replace(cfg, num_classes=len(classes), class_names=tuple(classes))
    world = make_world(cfg, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        d_rgb = cfg.feature_dim // 2
        for split in ("train", "test"):
            for s in ("rgb", "flow"):
                (tmp / "features" / split / s).mkdir(parents=True, exist_ok=True)
        counters = {"train": 0, "test": 0}
        for v in videos:
            split_id = 0 if v.split == "train" else 1
            rng = rng_stream(seed, 2, split_id, counters[v.split])
            counters[v.split] += 1
            f = video_features(cfg, world, v, rng)
            np.save(tmp / "features" / v.split / "rgb" / f"{v.name}.npy", np.ascontiguousarray(f[:, :d_rgb]))
            np.save(tmp / "features" / v.split / "flow" / f"{v.name}.npy", np.ascontiguousarray(f[:, d_rgb:]))
        db = {}
        for v in videos:
            db[v.name] = {"subset": v.split, "duration": v.duration,
                          "annotations": [{"segment": [s, e], "label": classes[c]} for s, e, c in v.segments]}
        (tmp / "gt.json").write_text(json.dumps({"database": db}, sort_keys=True) + "\n", encoding="utf-8")
        for split in ("train", "test"):
            names = [v.name for v in videos if v.split == split]
            (tmp / f"split_{split}.txt").write_text("".join(n + "\n" for n in names), encoding="utf-8")
        (tmp / "classes.txt").write_text("".join(c + "\n" for c in classes), encoding="utf-8")
        meta = {
            "generator": "tal_pyg.datasets.synthetic",
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "config": asdict(cfg),
            "summary": summarize_structure(videos),
        }
        (tmp / "synthetic.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        if out.exists():
            if overwrite and any(out.iterdir()):
                shutil.rmtree(out)
            else:
                out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
