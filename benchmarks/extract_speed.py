"""Compute cost of two-stream I3D feature extraction, in seconds per minute of video.

    python benchmarks/extract_speed.py [--seconds 4] [--tvl1-pairs 6] [--fast-pairs 40] [--i3d-snippets 2]
                                       [--device cpu] [--video FILE]

Stages, each timed on a short clip and extrapolated linearly to one minute of video at 25 fps
(1,500 frames, 1,499 flow pairs, 93.75 snippets of 16 frames per stream):

* decode: PyAV decoding + timestamp resampling to 25 fps + resize (shorter side 256) + grayscale,
  i.e. everything :func:`tal_pyg.extract.iter_snippets` does besides the flow;
* flow: OpenCV TV-L1 (default, standard features), Farneback and DIS (fast options) on pairs of
  consecutive resized grayscale frames (341x256 for a 320x240 clip, THUMOS'14's usual size);
* I3D: one forward pass per stream (RGB 3 / flow 2 channels, 16x224x224 snippets, batch
  ``--i3d-snippets``) after one warm-up pass; random weights (speed does not depend on them).

By default the clip is generated here (moving shapes, 320x240, 30 fps, ``--seconds`` long, MPEG-4).
The run is kept short on purpose: the per-minute numbers are extrapolations, not a full-minute run.
The timings depend on the machine's load (the development machine had 2 cores shared with other
jobs). Prints a table and writes ``benchmarks/results/extract_speed.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tal_pyg.extract import FLOW_METHODS, InceptionI3d, OpticalFlow, VideoReader, resolve_device  # noqa: E402
from tal_pyg.extract.preprocess import center_crop, resize_shorter_side, to_gray  # noqa: E402
from tal_pyg.utils.io import atomic_write_json  # noqa: E402

FPS, SNIPPET = 25, 16
FRAMES_PER_MINUTE = 60 * FPS
SNIPPETS_PER_MINUTE = FRAMES_PER_MINUTE / SNIPPET


def make_clip(path: Path, seconds: float, fps: int = 30, size=(320, 240), seed: int = 0) -> Path:
    """A 320x240 MPEG-4 clip of textured background + moving shapes."""
    import av
    import cv2

    w, h = size
    rng = np.random.default_rng(seed)
    bg = cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 3)
    yy, xx = np.mgrid[0:h, 0:w]
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=Fraction(fps))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.bit_rate = 2_000_000
        for i in range(int(seconds * fps)):
            img = np.roll(bg, i, axis=1).copy()
            img[(xx - (20 + 4 * i) % w) ** 2 + (yy - h // 2) ** 2 < 400] = (230, 40, 40)
            img[(3 * i) % (h - 30) : (3 * i) % (h - 30) + 30, 200:230] = (40, 230, 40)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


class Timer:
    """Wall-clock and process CPU time (all threads) of a block."""

    def __enter__(self) -> "Timer":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def time_decode(path: Path, resize: int):
    reader = VideoReader(path, fps=FPS)
    grays = []
    prev = None
    with Timer() as t:
        for frame in reader:
            if frame is not prev:
                r = resize_shorter_side(frame, resize)
                grays.append(to_gray(r))
                center_crop(r, min(r.shape[:2]))
            prev = frame
    return t, reader, grays


def time_flow(method: str, grays, pairs: int):
    flow = OpticalFlow(method)
    flow(grays[0], grays[1])  # warm-up (allocations)
    n = min(pairs, len(grays) - 1)
    with Timer() as t:
        for i in range(n):
            flow(grays[i], grays[i + 1])
    return t, n


def time_i3d(in_channels: int, snippets: int, crop: int, device: torch.device):
    torch.manual_seed(0)
    model = InceptionI3d(in_channels, 400).eval().to(device)
    x = torch.rand(snippets, in_channels, SNIPPET, crop, crop, device=device) * 2 - 1

    def run():
        with torch.inference_mode():
            model.extract_features(x)
        if device.type == "cuda":
            torch.cuda.synchronize()

    run()  # warm-up: kernel selection / oneDNN primitive creation
    with Timer() as t:
        run()
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", type=Path, help="time this video instead of a generated clip")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of the generated clip (default 4)")
    ap.add_argument("--tvl1-pairs", type=int, default=6, help="TV-L1 frame pairs to time (default 6)")
    ap.add_argument("--fast-pairs", type=int, default=40, help="Farneback / DIS frame pairs to time (default 40)")
    ap.add_argument("--i3d-snippets", type=int, default=2, help="snippets per I3D forward pass (default 2)")
    ap.add_argument("--resize", type=int, default=256)
    ap.add_argument("--crop", type=int, default=224)
    ap.add_argument("--device", default="cpu", help="device for I3D (flow always runs on the CPU)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "extract_speed.json")
    args = ap.parse_args()
    device = resolve_device(args.device)
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as tmp:
        video = args.video or make_clip(Path(tmp) / "clip.mp4", args.seconds)
        timer, reader, grays = time_decode(video, args.resize)

    def row(stage: str, measured: str, t: Timer, scale: float) -> dict:
        return {
            "stage": stage,
            "measured": measured,
            "wall_s": t.wall,
            "cpu_s": t.cpu,
            "wall_per_minute_s": t.wall * scale,
            "cpu_per_minute_s": t.cpu * scale,
        }

    rows = [row("decode+resample+resize", f"{reader.num_frames} frames", timer, FRAMES_PER_MINUTE / reader.num_frames)]
    for method in FLOW_METHODS:
        pairs = args.tvl1_pairs if method == "tvl1" else args.fast_pairs
        t, n = time_flow(method, grays, pairs)
        size = f"{grays[0].shape[1]}x{grays[0].shape[0]}"
        rows.append(row(f"flow {method}", f"{n} pairs {size}", t, (FRAMES_PER_MINUTE - 1) / n))
    for name, channels in (("rgb", 3), ("flow", 2)):
        t = time_i3d(channels, args.i3d_snippets, args.crop, device)
        measured = f"{args.i3d_snippets} snippets 16x{args.crop}x{args.crop}"
        rows.append(row(f"i3d {name} ({device.type})", measured, t, SNIPPETS_PER_MINUTE / args.i3d_snippets))
    totals = {}
    for key in ("wall_per_minute_s", "cpu_per_minute_s"):
        per = {r["stage"]: r[key] for r in rows}
        i3d = per[f"i3d rgb ({device.type})"] + per[f"i3d flow ({device.type})"]
        for m in FLOW_METHODS:
            totals.setdefault(f"total with {m}", {})[key] = per["decode+resample+resize"] + per[f"flow {m}"] + i3d

    print(f"extract_speed: seconds of compute per minute of video (25 fps, 16-frame snippets), device {device}")
    print(f"clip: {reader.width}x{reader.height} {reader.source_fps:.0f} fps, {reader.num_frames} frames at 25 fps; "
          f"extrapolated linearly to 1 minute; torch threads {torch.get_num_threads()}, load avg {load_before[0]:.1f}")
    print(f"{'stage':<24} {'measured':<27} {'wall s':>7} {'CPU s':>7} {'wall s/min video':>17} {'CPU s/min video':>16}")
    for r in rows:
        print(
            f"{r['stage']:<24} {r['measured']:<27} {r['wall_s']:>7.2f} {r['cpu_s']:>7.2f} "
            f"{r['wall_per_minute_s']:>17.1f} {r['cpu_per_minute_s']:>16.1f}"
        )
    for k, v in totals.items():
        print(f"{k:<24} {'':<27} {'':>7} {'':>7} {v['wall_per_minute_s']:>17.1f} {v['cpu_per_minute_s']:>16.1f}")

    atomic_write_json(
        args.out,
        {
            "benchmark": "extract_speed",
            "unit": "seconds of compute per minute of video (extrapolated from a short clip); wall = elapsed, "
            "cpu = process CPU time summed over threads",
            "clip": {
                "generated": args.video is None,
                "width": reader.width,
                "height": reader.height,
                "source_fps": reader.source_fps,
                "frames_25fps": reader.num_frames,
                "resize": args.resize,
                "crop": args.crop,
            },
            "rows": rows,
            "totals_per_minute_s": totals,
            "machine": {
                "platform": platform.platform(),
                "processor": platform.processor(),
                "cpu_count": os.cpu_count(),
                "torch_threads": torch.get_num_threads(),
                "load_average_at_start": load_before,
                "device": str(device),
                "cuda": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
                "note": "shared machine: other jobs were running",
            },
            "versions": {"torch": torch.__version__, "numpy": np.__version__},
        },
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
