"""Packaged dataset metadata (THUMOS'14 and ActivityNet1.2 class lists, ground truth, split lists).

The files live in ``tal_pyg/datasets/metadata/<name>/`` (a copy of ``datasets/<name>/`` at the top of
the repository; both are written by ``datasets/build_metadata.py``), see ``datasets/<name>/README.md``
for their sources and licences.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

METADATA_DIR = Path(__file__).resolve().parent / "metadata"
DATASETS = ("thumos14", "activitynet12")


def metadata_path(dataset: str, filename: str) -> Path:
    """Path of a packaged metadata file, e.g. ``metadata_path("thumos14", "gt.json")``."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    path = METADATA_DIR / dataset / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path}: packaged metadata file not found (is the package data installed?)")
    return path


def class_names(dataset: str) -> List[str]:
    """The class list of a dataset (alphabetical, the order used by every WTAL code base)."""
    return [ln for ln in metadata_path(dataset, "classes.txt").read_text(encoding="utf-8").splitlines() if ln]


@lru_cache(maxsize=None)
def structure_stats() -> Dict[str, Any]:
    """Quantiles of the real video structure (lengths, instances, durations, coverage, classes)."""
    path = METADATA_DIR / "structure_stats.json"
    return json.loads(path.read_text(encoding="utf-8"))
