"""Fixtures for the extraction tests: tiny generated videos and random I3D weights."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import pytest
import torch

# Small sizes keep I3D on CPU fast: frames are resized to a shorter side of 24 px, cropped to 16.
SMALL = dict(resize=24, crop=16)


def write_video(
    path: Path,
    n_frames: int,
    fps: float = 25,
    size: tuple = (64, 48),
    levels: Optional[Sequence[int]] = None,
    seed: int = 0,
    codec: str = "mpeg4",
) -> Path:
    """Write a video of moving shapes with PyAV (MPEG-4 by default; ``codec="ffv1"`` is lossless).

    With ``levels`` every frame ``j`` is a uniform gray image of value ``levels[j]`` instead, so the
    decoded frames tell which source frame they come from.
    """
    av = pytest.importorskip("av")
    w, h = size
    rng = np.random.default_rng(seed)
    background = (rng.random((h, w, 3)) * 80).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for j in range(n_frames):
            if levels is not None:
                img = np.full((h, w, 3), levels[j], np.uint8)
            else:
                img = background.copy()
                cx, cy = (4 + 3 * j) % w, h // 2
                img[(xx - cx) ** 2 + (yy - cy) ** 2 < 49] = (250, 30, 30)
                top = (2 * j) % (h - 8)
                img[top : top + 8, w // 4 : w // 4 + 8] = (30, 250, 30)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def video_writer() -> Callable[..., Path]:
    return write_video


@pytest.fixture(scope="session")
def random_weights(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """(rgb.pt, flow.pt): random InceptionI3d state dicts saved with ``torch.save``."""
    from tal_pyg.extract.i3d import InceptionI3d

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    paths = []
    for name, channels in (("rgb", 3), ("flow", 2)):
        path = folder / f"{name}_random.pt"
        torch.save(InceptionI3d(in_channels=channels, num_classes=400).state_dict(), path)
        paths.append(path)
    return tuple(paths)


@pytest.fixture(scope="session")
def extractor(random_weights: tuple):
    """A small, fast extractor (DIS flow, 24/16 px) on CPU."""
    pytest.importorskip("av")
    pytest.importorskip("cv2")
    from tal_pyg.extract import ExtractionConfig, TwoStreamI3DExtractor

    config = ExtractionConfig(flow="dis", **SMALL)
    return TwoStreamI3DExtractor(*random_weights, config=config, device="cpu", batch_size=4, progress=False)
