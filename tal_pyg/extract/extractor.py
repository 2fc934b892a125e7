"""Two-stream I3D snippet features from raw video, written in the BaS-Net layout.

Pipeline for one video (defaults are the standard THUMOS'14 / ActivityNet WTAL features):

1. decode with PyAV and resample to ``fps = 25`` by presentation timestamps (:mod:`.video`);
2. resize every frame so that its shorter side is ``resize = 256`` (bilinear);
3. optical flow between consecutive resampled frames on the grayscale resized frames
   (:class:`.flow.OpticalFlow`, TV-L1 by default); flow ``t`` is frame ``t -> t + 1``. A source
   frame repeated by the resampling (source slower than 25 fps) has exactly zero flow to its copy;
4. center crop ``crop = 224`` of RGB and flow; RGB to ``[-1, 1]``, flow clipped to ``±20`` px and
   scaled to ``[-1, 1]`` (:mod:`.preprocess`);
5. cut into ``T = floor(N / 16)`` non-overlapping snippets of ``snippet_length = 16`` frames
   (stride 16; the last ``N mod 16`` frames are dropped). Snippet ``i`` holds frames
   ``16 i .. 16 i + 15`` and flows ``16 i .. 16 i + 15``; the very last flow of a video whose length
   is a multiple of 16 has no next frame and repeats the flow before it;
6. each snippet through the RGB and the flow :class:`.i3d.InceptionI3d` (batched):
   1024-d ``Mixed_5c`` average-pooled feature per stream.

Snippet ``i`` covers ``[i * 16/25, (i + 1) * 16/25)`` seconds = 0.64 s, so
``T ≈ floor(duration * 25/16)``.

Output of a directory run (``<out>/features/<split>/``)::

    rgb/VIDEO.npy    float32 [T, 1024]
    flow/VIDEO.npy   float32 [T, 1024]   (same T)
    extraction.json  settings (fps, snippet length, stride, resize/crop, flow method, weights'
                     sha256, versions) + one entry per finished video

Every file is written atomically; a video counts as finished when it has an entry in
``extraction.json`` and both arrays with that many rows, so an interrupted run resumes where it
stopped. A folder extracted with other settings is refused rather than mixed. Run one extraction
process per folder (two processes writing the same ``extraction.json`` would lose entries, and the
videos concerned would be extracted again on the next run).
"""
from __future__ import annotations

import copy
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from tal_pyg.extract.flow import FLOW_METHODS, OpticalFlow
from tal_pyg.extract.i3d import InceptionI3d, load_i3d, sha256_file
from tal_pyg.extract.preprocess import (
    center_crop,
    flow_to_input,
    resize_shorter_side,
    rgb_to_input,
    to_gray,
)
from tal_pyg.extract.video import VIDEO_EXTENSIONS, VideoReader
from tal_pyg.utils.device import resolve_device
from tal_pyg.utils.io import atomic_open, atomic_write_json

PathLike = Union[str, "os.PathLike[str]"]

METADATA_FILE = "extraction.json"
METADATA_FORMAT = "tal_pyg.extract/1"


@dataclass(frozen=True)
class ExtractionConfig:
    """Everything that determines the extracted features, apart from the network weights.

    Args:
        fps: frame rate the video is resampled to (25 for the standard features).
        snippet_length: frames per snippet (16); snippets do not overlap (stride = snippet_length).
        resize: shorter side after resizing, in pixels (256).
        crop: side of the center crop fed to I3D (224); ``crop <= resize``.
        flow: optical flow method, one of :data:`~tal_pyg.extract.flow.FLOW_METHODS` (``"tvl1"``).
        flow_clip: flow is clipped to ``[-flow_clip, flow_clip]`` pixels, then divided by it (20).
    """

    fps: int = 25
    snippet_length: int = 16
    resize: int = 256
    crop: int = 224
    flow: str = "tvl1"
    flow_clip: float = 20.0

    def __post_init__(self) -> None:
        if self.fps <= 0 or self.snippet_length < 2:
            raise ValueError(
                f"need fps > 0 and snippet_length >= 2, got {self.fps}, {self.snippet_length}"
            )
        if not 0 < self.crop <= self.resize:
            raise ValueError(f"need 0 < crop <= resize, got crop={self.crop}, resize={self.resize}")
        if self.flow not in FLOW_METHODS:
            raise ValueError(
                f"unknown optical flow method {self.flow!r}; "
                f"choose one of {', '.join(FLOW_METHODS)}"
            )
        if self.flow_clip <= 0:
            raise ValueError(f"flow_clip must be positive, got {self.flow_clip}")

    @property
    def stride(self) -> int:
        """Frames between the starts of consecutive snippets (``snippet_length``: no overlap)."""
        return self.snippet_length

    @property
    def snippet_seconds(self) -> float:
        """Seconds per snippet (``snippet_length / fps`` = 0.64 s)."""
        return self.snippet_length / self.fps


def iter_snippets(
    frames: Iterable[np.ndarray], config: ExtractionConfig, flow: OpticalFlow
) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Cut resampled RGB frames into snippets with their optical flow (steps 2-5 of the pipeline).

    Args:
        frames: RGB ``uint8 [H, W, 3]`` frames at ``config.fps`` (the same array object twice in a
            row means a repeated source frame: its flow is zero).
        config: sizes and snippet length.
        flow: the optical flow to use.

    Yields:
        ``(rgb uint8 [L, crop, crop, 3], flow float32 [L, crop, crop, 2])`` per snippet, ``L =
        snippet_length``; ``floor(N / L)`` snippets for ``N`` frames.
    """
    length, crop = config.snippet_length, config.crop
    rgb_buf: List[np.ndarray] = []
    flow_buf: List[np.ndarray] = []
    prev_frame: Optional[np.ndarray] = None
    prev_gray: Optional[np.ndarray] = None
    resized: Optional[np.ndarray] = None
    for frame in frames:
        if frame is not prev_frame or resized is None:
            resized = resize_shorter_side(frame, config.resize)
            gray = to_gray(resized)
            if prev_gray is not None:
                flow_buf.append(center_crop(flow(prev_gray, gray), crop))
        else:  # repeated source frame: identical image, zero motion
            gray = prev_gray  # type: ignore[assignment]  # a repeat always follows a decoded frame
            flow_buf.append(np.zeros((crop, crop, 2), np.float32))
        prev_frame, prev_gray = frame, gray
        rgb_buf.append(center_crop(resized, crop))
        if len(flow_buf) == length:  # rgb_buf holds the snippet's frames + the next one
            yield np.stack(rgb_buf[:length]), np.stack(flow_buf)
            rgb_buf, flow_buf = rgb_buf[length:], []
    if len(rgb_buf) == length:  # last snippet without a next frame: repeat its last flow
        flow_buf.append(flow_buf[-1])
        yield np.stack(rgb_buf), np.stack(flow_buf)


def find_videos(inputs: Union[PathLike, Sequence[PathLike]]) -> List[Path]:
    """Expand files and folders (their videos by extension, sorted, not recursive) to video paths.

    Raises:
        FileNotFoundError: an input does not exist.
        ValueError: a folder holds no video file, or two videos have the same name (file stem).
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    videos: List[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in VIDEO_EXTENSIONS
            )
            if not found:
                raise ValueError(
                    f"{p}: no video files ({', '.join(VIDEO_EXTENSIONS)}) in this folder"
                )
            videos += found
        elif p.is_file():
            videos.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such video file or folder")
    seen: Dict[str, Path] = {}
    for v in videos:
        if v.stem in seen and seen[v.stem].resolve() != v.resolve():
            raise ValueError(
                f"two videos would get the same feature name {v.stem!r}: {seen[v.stem]} and {v}"
            )
        seen[v.stem] = v
    return list(dict.fromkeys(seen.values()))


def _library_versions() -> Dict[str, str]:
    from tal_pyg.version import __version__

    versions = {"tal_pyg": __version__, "torch": torch.__version__, "numpy": np.__version__}
    for name in ("av", "cv2"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:  # pragma: no cover
            pass
    return versions


def _weights_info(path: PathLike, model: InceptionI3d) -> Dict[str, Any]:
    return {"file": Path(path).name, "sha256": sha256_file(path), "num_classes": model.num_classes}


class TwoStreamI3DExtractor:
    """Load the two I3D streams once; extract features of videos (:meth:`extract`) or folders
    (:meth:`extract_to_directory`).

    Args:
        rgb_weights: state-dict file of the RGB stream (public port's ``rgb_imagenet.pt``).
        flow_weights: state-dict file of the flow stream (``flow_imagenet.pt``).
        config: :class:`ExtractionConfig` (default: 25 fps / 16 frames / 256 / 224 / TV-L1).
        device: ``None``/``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda:0"``, ...
        batch_size: snippets per I3D forward pass.
        progress: show a tqdm progress bar per video.

    Shapes: :meth:`extract` returns ``rgb [T, 1024]``, ``flow [T, 1024]`` float32.
    """

    def __init__(
        self,
        rgb_weights: PathLike,
        flow_weights: PathLike,
        config: Optional[ExtractionConfig] = None,
        device: Union[None, str, torch.device] = None,
        batch_size: int = 8,
        progress: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.config = config or ExtractionConfig()
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.progress = progress
        self.rgb_model = load_i3d(rgb_weights, "rgb").to(self.device)
        self.flow_model = load_i3d(flow_weights, "flow").to(self.device)
        self.optical_flow = OpticalFlow(self.config.flow)
        clip = self.config.flow_clip
        self.settings: Dict[str, Any] = {
            **asdict(self.config),
            "stride": self.config.stride,
            "snippet_seconds": self.config.snippet_seconds,
            "resampling": "by presentation timestamp: frame shown at t0 + k/fps (previous frame)",
            "resize_interpolation": "bilinear, shorter side",
            "crop_position": "center",
            "rgb_scaling": "x / 127.5 - 1 (range [-1, 1])",
            "flow_scaling": f"clip to [-{clip:g}, {clip:g}] px, / {clip:g} (range [-1, 1])",
            "flow_computed_on": (
                "grayscale frames after the resize, before the crop; flow t = frame t -> t+1"
            ),
            "flow_params": self.optical_flow.params,
            "feature": (
                "InceptionI3d Mixed_5c averaged over time and space (1024-d per stream, before the "
                "logits)"
            ),
            "feature_dim": InceptionI3d.feature_dim,
            "dtype": "float32",
            "rgb_weights": _weights_info(rgb_weights, self.rgb_model),
            "flow_weights": _weights_info(flow_weights, self.flow_model),
        }

    def _run(self, model: InceptionI3d, clips: List[np.ndarray]) -> np.ndarray:
        x = torch.from_numpy(np.stack(clips)).to(self.device)
        with torch.inference_mode():
            return model.extract_features(x).float().cpu().numpy()

    def extract(self, path: PathLike) -> Tuple[np.ndarray, np.ndarray, Dict[str, Any]]:
        """Features of one video: ``(rgb [T, 1024], flow [T, 1024], metadata)``.

        ``metadata`` has the video's facts (``video``, ``source``, ``source_fps``,
        ``source_frames``, ``width``, ``height``, ``duration_s``, ``frames`` at ``fps``,
        ``num_snippets``,
        ``extraction_seconds``) and ``settings`` / ``versions`` as in ``extraction.json``.

        Raises:
            FileNotFoundError: no such file.
            ValueError: corrupt, empty or too short video (the message names the file).
        """
        from tqdm.auto import tqdm

        path = Path(path)
        cfg = self.config
        start = time.perf_counter()
        reader = VideoReader(path, fps=cfg.fps)
        reader.open().close()  # fail early on unreadable files; size and length estimates
        total = reader.estimated_frames // cfg.snippet_length if reader.estimated_frames else None
        rgb_feats: List[np.ndarray] = []
        flow_feats: List[np.ndarray] = []
        rgb_batch: List[np.ndarray] = []
        flow_batch: List[np.ndarray] = []

        def flush() -> None:
            if rgb_batch:
                rgb_feats.append(self._run(self.rgb_model, rgb_batch))
                flow_feats.append(self._run(self.flow_model, flow_batch))
                bar.update(len(rgb_batch))
                rgb_batch.clear()
                flow_batch.clear()

        bar = tqdm(
            total=total, desc=path.stem, unit="snippet", disable=not self.progress, leave=False
        )
        with bar:
            for rgb, flow in iter_snippets(reader, cfg, self.optical_flow):
                rgb_batch.append(rgb_to_input(rgb))
                flow_batch.append(flow_to_input(flow, cfg.flow_clip))
                if len(rgb_batch) == self.batch_size:
                    flush()
            flush()
        if not rgb_feats:
            raise ValueError(
                f"{path}: video too short: {reader.num_frames} frames at {cfg.fps} fps "
                f"({reader.duration or 0:.2f} s); one snippet needs {cfg.snippet_length} frames "
                f"({cfg.snippet_seconds:.2f} s)"
            )
        rgb_out = np.concatenate(rgb_feats).astype(np.float32, copy=False)
        flow_out = np.concatenate(flow_feats).astype(np.float32, copy=False)
        metadata = {
            "video": path.stem,
            "source": str(path.resolve()),
            "source_fps": reader.source_fps,
            "source_frames": reader.source_frames,
            "width": reader.width,
            "height": reader.height,
            "duration_s": reader.duration,
            "frames": reader.num_frames,
            "num_snippets": int(rgb_out.shape[0]),
            "extraction_seconds": round(time.perf_counter() - start, 3),
            "settings": copy.deepcopy(self.settings),
            "versions": _library_versions(),
        }
        return rgb_out, flow_out, metadata

    def extract_to_directory(
        self,
        videos: Union[PathLike, Sequence[PathLike]],
        out_dir: PathLike,
        split: str = "test",
        skip_errors: bool = False,
    ) -> Dict[str, Any]:
        """Extract every video into ``<out_dir>/features/<split>/{rgb,flow}/VIDEO.npy`` (resumable).

        Videos already finished in that folder (entry in ``extraction.json`` and both arrays with
        that many rows) are skipped. With ``skip_errors`` a corrupt video is recorded under
        ``"failed"`` in ``extraction.json`` and the run goes on; otherwise its error is raised.

        Returns:
            ``{"extracted": [...], "skipped": [...], "failed": {video: message}, "folder": str}``.

        Raises:
            ValueError: the folder holds features extracted with other settings, or (without
                ``skip_errors``) a video cannot be read.
        """
        if not split or "/" in split or "\\" in split or split in (".", ".."):
            raise ValueError(f"invalid split name {split!r}")
        paths = find_videos(videos)
        folder = Path(out_dir) / "features" / split
        meta_path = folder / METADATA_FILE
        meta = self._load_or_create_metadata(meta_path)
        report: Dict[str, Any] = {
            "extracted": [], "skipped": [], "failed": {}, "folder": str(folder)
        }
        for path in paths:
            name = path.stem
            if self._is_finished(folder, name, meta["videos"].get(name)):
                report["skipped"].append(name)
                continue
            try:
                rgb, flow, info = self.extract(path)
            except (ValueError, FileNotFoundError) as e:
                if not skip_errors:
                    raise
                report["failed"][name] = meta["failed"][name] = str(e)
                atomic_write_json(meta_path, meta)
                continue
            for stream, array in (("rgb", rgb), ("flow", flow)):
                with atomic_open(folder / stream / f"{name}.npy", "wb") as f:
                    np.save(f, array, allow_pickle=False)
            entry = {k: v for k, v in info.items() if k not in ("settings", "versions", "video")}
            meta["videos"][name] = entry
            meta["failed"].pop(name, None)
            meta["versions"] = info["versions"]
            atomic_write_json(meta_path, meta)
            report["extracted"].append(name)
            if self.progress:
                from tqdm.auto import tqdm

                tqdm.write(
                    f"{name}: {entry['num_snippets']} snippets, {entry['duration_s']:.1f} s of "
                    f"video, {entry['extraction_seconds']:.1f} s"
                )
        return report

    def _load_or_create_metadata(self, meta_path: Path) -> Dict[str, Any]:
        fresh = {
            "format": METADATA_FORMAT,
            "settings": self.settings,
            "versions": _library_versions(),
            "videos": {},
            "failed": {},
        }
        if not meta_path.exists():
            return fresh
        import json

        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ValueError(
                f"{meta_path}: unreadable extraction metadata ({e}); remove it to start over"
            ) from None
        if (
            not isinstance(meta, dict)
            or meta.get("format") != METADATA_FORMAT
            or not isinstance(meta.get("videos"), dict)
        ):
            raise ValueError(
                f"{meta_path}: not a tal_pyg extraction metadata file ({METADATA_FORMAT})"
            )
        diff = _settings_difference(meta.get("settings", {}), self.settings)
        if diff:
            raise ValueError(
                f"{meta_path}: the features in this folder were extracted with other settings "
                f"({'; '.join(diff)}). "
                "Use another --out folder (or --split), or delete this one to start over."
            )
        meta.setdefault("failed", {})
        return meta

    @staticmethod
    def _is_finished(folder: Path, name: str, entry: Optional[Mapping[str, Any]]) -> bool:
        if not entry:
            return False
        for stream in ("rgb", "flow"):
            try:
                array = np.load(folder / stream / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError):
                return False
            if array.shape != (entry.get("num_snippets"), InceptionI3d.feature_dim):
                return False
        return True


def _settings_difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> List[str]:
    """Human-readable differences between two settings dicts (weights compared by sha256 only)."""
    diff = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if key.endswith("_weights"):
            a, b = (a or {}).get("sha256"), (b or {}).get("sha256")
            key = f"{key} sha256"
        elif key == "flow_params" and isinstance(a, dict) and isinstance(b, dict):
            a = {k: v for k, v in a.items() if k != "opencv_version"}
            b = {k: v for k, v in b.items() if k != "opencv_version"}
        if a != b:
            diff.append(f"{key}: {a!r} then, {b!r} now")
    return diff


def extract_video_features(
    path: PathLike,
    rgb_weights: PathLike,
    flow_weights: PathLike,
    *,
    flow: str = "tvl1",
    device: Union[None, str, torch.device] = None,
    batch_size: int = 8,
    resize: int = 256,
    crop: int = 224,
    progress: bool = True,
) -> Tuple[np.ndarray, np.ndarray, Dict[str, Any]]:
    """Two-stream I3D features of one video: ``(rgb [T, 1024], flow [T, 1024], metadata)``.

    ``T = floor(frames_at_25fps / 16)``; row ``i`` covers ``[0.64 i, 0.64 (i + 1))`` seconds.
    See :class:`TwoStreamI3DExtractor` and :meth:`TwoStreamI3DExtractor.extract`.
    """
    config = ExtractionConfig(resize=resize, crop=crop, flow=flow)
    extractor = TwoStreamI3DExtractor(
        rgb_weights, flow_weights, config, device, batch_size, progress
    )
    return extractor.extract(path)


def extract_features_to_directory(
    videos: Union[PathLike, Sequence[PathLike]],
    out_dir: PathLike,
    rgb_weights: PathLike,
    flow_weights: PathLike,
    *,
    split: str = "test",
    flow: str = "tvl1",
    device: Union[None, str, torch.device] = None,
    batch_size: int = 8,
    resize: int = 256,
    crop: int = 224,
    progress: bool = True,
    skip_errors: bool = False,
) -> Dict[str, Any]:
    """Extract videos/folders into ``<out_dir>/features/<split>/{rgb,flow}/VIDEO.npy`` (resumable).

    See :meth:`TwoStreamI3DExtractor.extract_to_directory`.
    """
    config = ExtractionConfig(resize=resize, crop=crop, flow=flow)
    extractor = TwoStreamI3DExtractor(
        rgb_weights, flow_weights, config, device, batch_size, progress
    )
    return extractor.extract_to_directory(videos, out_dir, split=split, skip_errors=skip_errors)
