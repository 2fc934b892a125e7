"""Two-stream I3D feature extraction from raw video.

Optional extra: ``pip install 'tal-pyg[extract]'`` (PyAV, OpenCV contrib).

Decoding (PyAV) and optical flow (OpenCV) are imported only when used, so importing this package
needs neither.

>>> from tal_pyg.extract import extract_video_features
>>> rgb, flow, meta = extract_video_features(
...     "video.mp4", "rgb_imagenet.pt", "flow_imagenet.pt")  # doctest: +SKIP
>>> rgb.shape  # doctest: +SKIP
(T, 1024)

See :mod:`tal_pyg.extract.extractor` for the pipeline and the on-disk layout.
"""
from importlib import import_module
from typing import Any

#: public name -> submodule; imported on first use (PEP 562), so that ``import tal_pyg.extract.flow`` (e.g.
#: by ``tal-pyg extract --help``) does not import torch
_LAZY = {
    **dict.fromkeys(("METADATA_FILE", "ExtractionConfig", "TwoStreamI3DExtractor", "extract_features_to_directory",
                     "extract_video_features", "find_videos", "iter_snippets", "resolve_device"), "extractor"),
    **dict.fromkeys(("FLOW_METHODS", "OpticalFlow"), "flow"),
    **dict.fromkeys(("WEIGHTS_HINT", "InceptionI3d", "InceptionModule", "MaxPool3dSame", "Unit3D", "load_i3d",
                     "sha256_file"), "i3d"),
    **dict.fromkeys(("VIDEO_EXTENSIONS", "TimestampResampler", "VideoReader"), "video"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f"tal_pyg.extract.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tal_pyg.extract' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ExtractionConfig",
    "TwoStreamI3DExtractor",
    "extract_video_features",
    "extract_features_to_directory",
    "find_videos",
    "iter_snippets",
    "resolve_device",
    "METADATA_FILE",
    "FLOW_METHODS",
    "OpticalFlow",
    "InceptionI3d",
    "Unit3D",
    "InceptionModule",
    "MaxPool3dSame",
    "load_i3d",
    "sha256_file",
    "WEIGHTS_HINT",
    "VideoReader",
    "TimestampResampler",
    "VIDEO_EXTENSIONS",
]
