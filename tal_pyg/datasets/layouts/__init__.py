"""Readers for the public WTAL feature layouts and layout auto-detection.

=========  ==================================================================  ===========================
layout     files                                                               reader
=========  ==================================================================  ===========================
basnet     ``features/{train,test}/{rgb,flow}/VIDEO.npy`` + ``gt.json`` + splits  :func:`read_basnet`
wtalc      ``<Name>-I3D-JOINTFeatures.npy`` (pickled) + ``<Name>-Annotations/``  :func:`read_wtalc`
dgam       ``{train,test}_data/{rgb,flow}_features/i.npy`` + labels + name list  :func:`read_dgam`
=========  ==================================================================  ===========================
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tal_pyg.datasets.layouts.base import LayoutContents, StreamSource, LayoutVideo
from tal_pyg.datasets.layouts.basnet import is_basnet, read_basnet
from tal_pyg.datasets.layouts.dgam import is_dgam, read_dgam
from tal_pyg.datasets.layouts.wtalc import is_wtalc, read_wtalc

LAYOUTS = ("basnet", "wtalc", "dgam")


def detect_layout(root: Path) -> str:
    """Guess the layout of ``root`` from its files (``ValueError`` if none or several match)."""
    root = Path(root)
    found = [name for name, test in (("basnet", is_basnet), ("wtalc", is_wtalc), ("dgam", is_dgam)) if test(root)]
    if not found:
        raise ValueError(
            f"{root}: cannot detect the feature layout: expected features/{{train,test}}/ (basnet), "
            "<Name>-I3D-JOINTFeatures.npy (wtalc) or {train,test}_data/ (dgam); pass layout= explicitly")
    if len(found) > 1:
        raise ValueError(f"{root}: several layouts match ({', '.join(found)}); pass layout= explicitly")
    return found[0]


def read_layout(layout: str, root: Path, split: str, trust_pickle: bool = False, **kwargs: Any) -> LayoutContents:
    """Dispatch to the reader of ``layout``."""
    if layout == "basnet":
        return read_basnet(root, split, **kwargs)
    if layout == "wtalc":
        return read_wtalc(root, split, trust_pickle=trust_pickle, **kwargs)
    if layout == "dgam":
        return read_dgam(root, split, **kwargs)
    raise ValueError(f"unknown layout {layout!r}; expected 'auto' or one of {LAYOUTS}")


def __getattr__(name: str) -> Any:
    if name == "VideoRecord":  # the earlier name of LayoutVideo
        import warnings

        warnings.warn("tal_pyg.datasets.layouts.VideoRecord is deprecated: use LayoutVideo", FutureWarning,
                      stacklevel=2)
        return LayoutVideo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LAYOUTS", "LayoutContents", "StreamSource", "LayoutVideo", "detect_layout", "read_layout",
           "read_basnet", "read_wtalc", "read_dgam", "is_basnet", "is_wtalc", "is_dgam"]
