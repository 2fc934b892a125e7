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
from tal_pyg.extract.extractor import (
    METADATA_FILE,
    ExtractionConfig,
    TwoStreamI3DExtractor,
    extract_features_to_directory,
    extract_video_features,
    find_videos,
    iter_snippets,
)
from tal_pyg.extract.flow import FLOW_METHODS, OpticalFlow
from tal_pyg.extract.i3d import (
    WEIGHTS_HINT,
    InceptionI3d,
    InceptionModule,
    MaxPool3dSame,
    Unit3D,
    load_i3d,
    sha256_file,
)
from tal_pyg.extract.video import VIDEO_EXTENSIONS, TimestampResampler, VideoReader
from tal_pyg.utils.device import resolve_device

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
