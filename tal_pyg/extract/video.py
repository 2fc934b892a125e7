"""Video decoding with PyAV and constant-frame-rate resampling by presentation timestamps.

Resampling rule (the frame a player shows at each output instant): with ``t_0`` the timestamp of the
first decoded frame, output frame ``k`` is the source frame ``j`` whose display interval
``[t_j, t_{j+1})`` contains ``t_0 + k / fps``. The last source frame is shown for
``d`` = the previous inter-frame interval (or the frame's own duration, or ``1 / average_rate``), so
the number of output frames is ``floor((t_last + d - t_0) * fps)``, i.e. ``floor(duration * fps)``.
Timestamps are exact fractions (``pts * time_base``), so a 30 fps (or 30000/1001 fps) source maps
without rounding drift. Frames whose timestamp does not increase are dropped.

PyAV (``av``) is imported only when a video is opened: the core library does not need it.
"""
from __future__ import annotations

import math
import os
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any, Generic, Iterator, List, Optional, Tuple, TypeVar, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]
Item = TypeVar("Item")

#: File extensions treated as videos when a directory is given.
VIDEO_EXTENSIONS = (
    ".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".3gp", ".ts"
)

EXTRACT_INSTALL_HINT = (
    "install the extraction extra: pip install 'tal-pyg[extract]' "
    "(PyAV and opencv-contrib-python-headless)"
)


def import_av() -> Any:
    """Import PyAV, or raise an ``ImportError`` that says how to install it."""
    try:
        import av
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(f"video decoding needs PyAV ({e}); {EXTRACT_INSTALL_HINT}") from None
    return av


def _as_fraction(x: Union[int, float, Fraction]) -> Fraction:
    return x if isinstance(x, Fraction) else Fraction(x).limit_denominator(1_000_000)


class TimestampResampler(Generic[Item]):
    r"""Streaming resampler from timestamped source frames to a constant frame rate.

    Push source frames in presentation order with :meth:`push`; each call returns the output frames
    that became final (those shown before the new frame's timestamp). :meth:`finish` returns the
    remaining ones. Output frame ``k`` (time ``t_0 + k / fps``) is the source frame ``j`` with
    ``t_j <= t_0 + k / fps < t_{j+1}``; the number of output frames is

    .. math::
        N = \left\lfloor (t_{last} + d_{last} - t_0) \cdot \mathrm{fps} \right\rfloor .

    Args:
        fps: output frame rate (an int, float or :class:`fractions.Fraction`).

    Attributes:
        num_input: frames pushed (dropped ones included); ``num_dropped``: frames dropped because
        their timestamp did not increase; ``num_output``: output frames emitted so far;
        ``duration``: ``t_last + d_last - t_0`` in seconds after :meth:`finish` (``None`` before).
    """

    def __init__(self, fps: Union[int, float, Fraction] = 25) -> None:
        self.fps = _as_fraction(fps)
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.num_input = 0
        self.num_dropped = 0
        self.num_output = 0
        self.duration: Optional[Fraction] = None
        self._t0: Optional[Fraction] = None
        self._prev: Optional[Tuple[Fraction, Item]] = None
        self._interval: Optional[Fraction] = None
        self._produced = 0  # output instants whose source frame is known
        # The last known output is held back until the next frame or finish(): an instant before the
        # last timestamp can still fall after floor(duration * fps) when the last frame is short.
        self._held: List[Item] = []

    @property
    def last_time(self) -> Optional[Fraction]:
        """Timestamp of the last accepted source frame."""
        return None if self._prev is None else self._prev[0]

    @property
    def last_interval(self) -> Optional[Fraction]:
        """Interval between the last two accepted source frames."""
        return self._interval

    def _produce_until(self, end_index: int) -> List[Item]:
        assert self._prev is not None
        n = max(end_index - self._produced, 0)
        self._produced += n
        return self._held + [self._prev[1]] * n

    def push(self, time: Union[int, float, Fraction], item: Item) -> List[Item]:
        """Add the next source frame (timestamp in seconds); return the output frames now final."""
        if self.duration is not None:
            raise RuntimeError("push() after finish()")
        t = _as_fraction(time)
        self.num_input += 1
        if self._prev is None:
            self._t0, self._prev = t, (t, item)
            return []
        if t <= self._prev[0]:
            self.num_dropped += 1
            return []
        assert self._t0 is not None
        # output instants t0 + k / fps < t show the previous frame
        candidates = self._produce_until(math.ceil((t - self._t0) * self.fps))
        self._interval = t - self._prev[0]
        self._prev = (t, item)
        out, self._held = candidates[:-1], candidates[-1:]
        self.num_output += len(out)
        return out

    def finish(self, last_duration: Optional[Union[int, float, Fraction]] = None) -> List[Item]:
        """Close the stream; return the last output frames.

        ``last_duration`` is used for the last source frame only when there is no previous
        inter-frame interval (a single frame); fallback ``1 / fps``.
        """
        if self.duration is not None:
            raise RuntimeError("finish() called twice")
        if self._prev is None:
            self.duration = Fraction(0)
            return []
        assert self._t0 is not None
        d = self._interval
        if d is None:
            d = _as_fraction(last_duration) if last_duration else 1 / self.fps
        self.duration = self._prev[0] + d - self._t0
        total = math.floor(self.duration * self.fps)
        out = self._produce_until(total)[: max(total - self.num_output, 0)]
        self._held = []
        self.num_output += len(out)
        return out


class VideoReader:
    """Decode a video with PyAV and yield its frames resampled to ``fps`` (RGB ``uint8 [H, W, 3]``).

    Iterating opens the file, decodes the first video stream and yields the resampled frames (a
    source frame shown for several output instants is converted once and yielded several times).
    After the iteration the attributes describe the video.

    Attributes:
        path, fps; ``source_fps`` (the stream's average rate, ``None`` if unknown), ``width``,
        ``height``, ``estimated_frames`` (from the container's duration before decoding, or
        ``None``);
        after iteration: ``source_frames`` (decoded), ``num_frames`` (output), ``duration`` (s).

    Raises (during iteration):
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file cannot be opened or decoded, has no video stream or no frame; the
        message names the file.
    """

    def __init__(self, path: PathLike, fps: Union[int, float, Fraction] = 25) -> None:
        self.path = Path(path)
        self.fps = _as_fraction(fps)
        self.source_fps: Optional[float] = None
        self.width: Optional[int] = None
        self.height: Optional[int] = None
        self.estimated_frames: Optional[int] = None
        self.source_frames = 0
        self.num_frames = 0
        self.duration: Optional[float] = None

    def _error(self, problem: str) -> ValueError:
        return ValueError(f"{self.path}: {problem}")

    def open(self) -> Any:
        """Open the container (checks the file and its video stream; fills size/rate estimates)."""
        av = import_av()
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: video file not found")
        if self.path.stat().st_size == 0:
            raise self._error("empty file (0 bytes), not a video")
        try:
            container = av.open(str(self.path))
        except av.FFmpegError as e:
            raise self._error(
                f"cannot open as a video (corrupt or unsupported file): {e}"
            ) from None
        if not container.streams.video:
            container.close()
            raise self._error("has no video stream")
        stream = container.streams.video[0]
        self.width, self.height = stream.codec_context.width, stream.codec_context.height
        if stream.average_rate:
            self.source_fps = float(stream.average_rate)
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        if duration is not None and duration > 0:
            self.estimated_frames = int(duration * self.fps)
        return container

    def __iter__(self) -> Iterator[np.ndarray]:
        av = import_av()
        container = self.open()
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        resampler: TimestampResampler[Tuple[int, Any]] = TimestampResampler(self.fps)
        fallback = 1 / _as_fraction(stream.average_rate) if stream.average_rate else 1 / self.fps
        cache: Tuple[int, Optional[np.ndarray]] = (-1, None)

        def convert(items: List[Tuple[int, Any]]) -> Iterator[np.ndarray]:
            nonlocal cache
            for index, frame in items:
                if cache[0] != index:
                    cache = (index, frame.to_ndarray(format="rgb24"))
                assert cache[1] is not None
                yield cache[1]

        last_frame_duration: Optional[Fraction] = None
        try:
            for index, frame in enumerate(container.decode(stream)):
                if frame.pts is not None and frame.time_base is not None:
                    t = Fraction(frame.pts) * Fraction(frame.time_base)
                elif resampler.last_time is not None:  # no timestamp: assume the previous interval
                    t = resampler.last_time + (resampler.last_interval or fallback)
                else:
                    t = Fraction(0)
                if frame.duration and frame.time_base is not None:
                    last_frame_duration = Fraction(frame.duration) * Fraction(frame.time_base)
                yield from convert(resampler.push(t, (index, frame)))
            yield from convert(resampler.finish(last_frame_duration or fallback))
        except av.FFmpegError as e:
            raise self._error(
                f"decoding failed after {resampler.num_input} frames (corrupt video?): {e}"
            ) from None
        finally:
            container.close()
        self.source_frames = resampler.num_input
        self.num_frames = resampler.num_output
        self.duration = float(resampler.duration or 0)
        if resampler.num_input == 0:
            raise self._error("no video frame could be decoded (empty or corrupt video)")
        if resampler.num_dropped:
            warnings.warn(
                f"{self.path}: dropped {resampler.num_dropped} frames whose timestamp did not "
                "increase",
                RuntimeWarning,
                stacklevel=2,
            )
