"""End-to-end extraction: snippet counts, BaS-Net layout, metadata, resume, errors (tal_pyg/extract/extractor.py)."""
from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

av = pytest.importorskip("av")
cv2 = pytest.importorskip("cv2")

pytestmark = pytest.mark.extract

from tal_pyg.extract import (  # noqa: E402
    METADATA_FILE,
    ExtractionConfig,
    VideoReader,
    extract_video_features,
    find_videos,
    iter_snippets,
    resolve_device,
)

# name: (source fps, source frames, frames at 25 fps)
VIDEOS = {"clip25": (25, 70, 70), "clip30": (30, 100, 83), "clip10": (10, 30, 75)}


@pytest.fixture(scope="module")
def video_dir(tmp_path_factory, video_writer):
    folder = tmp_path_factory.mktemp("videos")
    for seed, (name, (fps, n, _)) in enumerate(VIDEOS.items()):
        video_writer(folder / f"{name}.mp4", n, fps=fps, seed=seed)
    (folder / "notes.txt").write_text("not a video")
    return folder


@pytest.fixture(scope="module")
def extracted(tmp_path_factory, extractor, video_dir):
    out = tmp_path_factory.mktemp("dataset")
    report = extractor.extract_to_directory(video_dir, out, split="test")
    return out, report


def test_snippet_counts_and_basnet_layout(extracted):
    out, report = extracted
    assert sorted(report["extracted"]) == sorted(VIDEOS) and not report["skipped"] and not report["failed"]
    for name, (_, _, frames25) in VIDEOS.items():
        arrays = [np.load(out / "features" / "test" / s / f"{name}.npy", allow_pickle=False) for s in ("rgb", "flow")]
        for a in arrays:
            assert a.dtype == np.float32 and a.ndim == 2
            assert a.shape == (frames25 // 16, 1024)  # T = floor(frames at 25 fps / 16)
            assert np.isfinite(a).all() and a.std(axis=0).max() > 0  # snippets differ
        assert arrays[0].shape == arrays[1].shape  # RGB and flow lengths agree
    assert sorted(p.name for p in (out / "features" / "test").iterdir()) == ["extraction.json", "flow", "rgb"]


def test_metadata_is_complete(extracted, random_weights):
    from tal_pyg import __version__

    out, _ = extracted
    meta = json.loads((out / "features" / "test" / METADATA_FILE).read_text())
    s = meta["settings"]
    assert (s["fps"], s["snippet_length"], s["stride"], s["snippet_seconds"]) == (25, 16, 16, 0.64)
    assert (s["resize"], s["crop"], s["crop_position"], s["flow"], s["flow_clip"]) == (24, 16, "center", "dis", 20.0)
    assert s["flow_params"]["preset"] == "MEDIUM" and "opencv_version" in s["flow_params"]
    assert s["feature_dim"] == 1024 and s["dtype"] == "float32"
    for stream, path in zip(("rgb", "flow"), random_weights):
        assert s[f"{stream}_weights"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert s[f"{stream}_weights"]["num_classes"] == 400
    assert meta["versions"]["tal_pyg"] == __version__ and {"torch", "av", "cv2"} <= set(meta["versions"])
    for name, (fps, n, frames25) in VIDEOS.items():
        v = meta["videos"][name]
        assert v["source_frames"] == n and v["source_fps"] == pytest.approx(fps)
        assert v["frames"] == frames25 and v["num_snippets"] == frames25 // 16
        assert v["duration_s"] == pytest.approx(n / fps) and (v["width"], v["height"]) == (64, 48)
        assert v["num_snippets"] == math.floor(v["duration_s"] * 25 / 16)
    assert meta["failed"] == {}


def test_features_match_a_manual_pipeline(extracted, video_dir, extractor):
    """Recompute clip30 step by step with OpenCV and the networks; compare with the written files."""
    out, _ = extracted
    frames = list(VideoReader(video_dir / "clip30.mp4", fps=25))
    assert len(frames) == 83
    resized = [cv2.resize(f, (32, 24), interpolation=cv2.INTER_LINEAR) for f in frames]  # 64x48 -> 32x24
    gray = [cv2.cvtColor(r, cv2.COLOR_RGB2GRAY) for r in resized]
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flows = [dis.calc(gray[i], gray[i + 1], None) for i in range(len(gray) - 1)]  # flow i: frame i -> i+1
    crop = lambda a: a[4:20, 8:24]  # center 16x16 of 24x32  # noqa: E731
    rgb_clips, flow_clips = [], []
    for i in range(83 // 16):
        rgb = np.stack([crop(resized[16 * i + j]) for j in range(16)]).astype(np.float32) / 127.5 - 1
        flo = np.clip(np.stack([crop(flows[16 * i + j]) for j in range(16)]), -20, 20) / 20
        rgb_clips.append(rgb.transpose(3, 0, 1, 2))
        flow_clips.append(flo.transpose(3, 0, 1, 2))
    with torch.no_grad():
        rgb_ref = extractor.rgb_model.extract_features(torch.tensor(np.stack(rgb_clips)))
        flow_ref = extractor.flow_model.extract_features(torch.tensor(np.stack(flow_clips)))
    folder = out / "features" / "test"
    np.testing.assert_allclose(np.load(folder / "rgb" / "clip30.npy"), rgb_ref.numpy(), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(np.load(folder / "flow" / "clip30.npy"), flow_ref.numpy(), rtol=1e-4, atol=1e-7)


class RecordingFlow:
    """Fake optical flow: frames are uniform images of value = frame index; the flow field holds
    (index of prev, index of next) so the test can see which pair made it."""

    def __call__(self, prev, nxt):
        return np.stack([np.full(prev.shape, prev[0, 0], np.float32), np.full(prev.shape, nxt[0, 0], np.float32)], -1)


@pytest.mark.parametrize("n", [32, 33, 47, 15])
def test_snippet_pairing_of_frames_and_flows(n):
    config = ExtractionConfig(resize=8, crop=4, flow="dis")
    frames = [np.full((8, 8, 3), i, np.uint8) for i in range(n)]
    snippets = list(iter_snippets(frames, config, RecordingFlow()))
    assert len(snippets) == n // 16
    for i, (rgb, flow) in enumerate(snippets):
        assert rgb.shape == (16, 4, 4, 3) and flow.shape == (16, 4, 4, 2)
        assert list(rgb[:, 0, 0, 0]) == list(range(16 * i, 16 * i + 16))
        expected = [(t, t + 1) for t in range(16 * i, 16 * i + 16)]
        if 16 * i + 16 == n:  # no next frame after the video: the last flow repeats the previous one
            expected[-1] = expected[-2]
        assert [tuple(f[0, 0]) for f in flow] == expected


def test_repeated_source_frames_have_zero_flow():
    config = ExtractionConfig(resize=8, crop=4, flow="dis")
    distinct = [np.full((8, 8, 3), 10 * i, np.uint8) for i in range(8)]
    frames = [distinct[k * 10 // 25] for k in range(17)]  # a 10 fps source seen at 25 fps
    (rgb, flow), = iter_snippets(frames, config, RecordingFlow())
    for t in range(16):
        if frames[t] is frames[t + 1]:
            assert not flow[t].any()
        else:
            assert tuple(flow[t, 0, 0]) == (frames[t][0, 0, 0], frames[t + 1][0, 0, 0])


def test_interrupted_directory_run_resumes(tmp_path, extracted, extractor, video_dir, monkeypatch):
    out, _ = extracted
    done = out / "features" / "test"
    meta = json.loads((done / METADATA_FILE).read_text())
    calls = []

    def recorded_extract(path):
        """The real results of these videos (from the `extracted` run), without recomputing them."""
        calls.append(path.stem)
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt  # e.g. Ctrl-C during this video
        arrays = [np.load(done / s / f"{path.stem}.npy") for s in ("rgb", "flow")]
        info = {**meta["videos"][path.stem], "video": path.stem, "settings": meta["settings"],
                "versions": meta["versions"]}
        return arrays[0], arrays[1], info

    monkeypatch.setattr(extractor, "extract", recorded_extract)
    videos = [video_dir / "clip25.mp4", video_dir / "clip10.mp4"]
    folder = tmp_path / "features" / "train"
    interrupt_at = 2
    with pytest.raises(KeyboardInterrupt):
        extractor.extract_to_directory(videos, tmp_path, split="train")
    assert sorted(p.name for p in (folder / "rgb").iterdir()) == ["clip25.npy"]
    assert not list(folder.rglob("*.tmp")) and not list(folder.rglob(".*"))  # nothing half-written
    assert list(json.loads((folder / METADATA_FILE).read_text())["videos"]) == ["clip25"]

    calls.clear()
    interrupt_at = 0
    report = extractor.extract_to_directory(videos, tmp_path, split="train")
    assert calls == ["clip10"] and report["skipped"] == ["clip25"] and report["extracted"] == ["clip10"]
    for name in ("clip25", "clip10"):
        np.testing.assert_array_equal(np.load(folder / "flow" / f"{name}.npy"), np.load(done / "flow" / f"{name}.npy"))

    calls.clear()
    report = extractor.extract_to_directory(videos, tmp_path, split="train")
    assert calls == [] and report["skipped"] == ["clip25", "clip10"]

    (folder / "flow" / "clip25.npy").unlink()  # a lost or truncated file is extracted again
    np.save(folder / "rgb" / "clip10.npy", np.zeros((2, 1024), np.float32))
    report = extractor.extract_to_directory(videos, tmp_path, split="train")
    assert calls == ["clip25", "clip10"] and report["skipped"] == []
    assert np.load(folder / "flow" / "clip25.npy").shape == np.load(folder / "rgb" / "clip10.npy").shape == (4, 1024)


def test_folder_with_other_settings_is_refused(tmp_path, extracted, extractor, video_dir):
    out, _ = extracted
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    meta_path = copy / "features" / "test" / METADATA_FILE
    meta = json.loads(meta_path.read_text())
    meta["settings"]["flow"] = "tvl1"
    meta["settings"]["rgb_weights"]["sha256"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="other settings.*flow: 'tvl1' then, 'dis' now.*rgb_weights sha256"):
        extractor.extract_to_directory(video_dir, copy)
    meta_path.write_text("{not json")
    with pytest.raises(ValueError, match="unreadable extraction metadata"):
        extractor.extract_to_directory(video_dir, copy)


def test_corrupt_empty_and_short_videos_give_clear_errors(tmp_path, extractor, video_writer, video_dir):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.mp4").write_bytes(b"")
    (bad / "corrupt.avi").write_bytes(b"RIFF" + bytes(range(256)) * 8)
    video_writer(bad / "short.mp4", 10)
    with pytest.raises(ValueError, match=r"empty\.mp4: empty file"):
        extractor.extract(bad / "empty.mp4")
    with pytest.raises(ValueError, match=r"corrupt\.avi: cannot open"):
        extractor.extract(bad / "corrupt.avi")
    with pytest.raises(ValueError, match=r"short\.mp4: video too short: 10 frames at 25 fps"):
        extractor.extract(bad / "short.mp4")
    with pytest.raises(ValueError, match="corrupt.avi"):
        extractor.extract_to_directory(bad, tmp_path / "out")
    shutil.copy(video_dir / "clip25.mp4", bad / "clip25.mp4")
    report = extractor.extract_to_directory(bad, tmp_path / "out2", skip_errors=True)
    assert report["extracted"] == ["clip25"] and sorted(report["failed"]) == ["corrupt", "empty", "short"]
    meta = json.loads((tmp_path / "out2" / "features" / "test" / METADATA_FILE).read_text())
    assert sorted(meta["failed"]) == ["corrupt", "empty", "short"] and list(meta["videos"]) == ["clip25"]


def test_find_videos(tmp_path, video_dir, extractor):
    assert [p.name for p in find_videos(video_dir)] == ["clip10.mp4", "clip25.mp4", "clip30.mp4"]
    assert find_videos(video_dir / "clip25.mp4") == [video_dir / "clip25.mp4"]
    with pytest.raises(FileNotFoundError, match="nope.mp4"):
        find_videos([tmp_path / "nope.mp4"])
    with pytest.raises(ValueError, match="no video files"):
        find_videos(tmp_path)
    (tmp_path / "clip25.mkv").write_bytes(b"x")
    with pytest.raises(ValueError, match="same feature name 'clip25'"):
        find_videos([video_dir, tmp_path / "clip25.mkv"])
    with pytest.raises(ValueError, match="invalid split"):
        extractor.extract_to_directory(video_dir, tmp_path, split="../x")


def test_device_and_config_validation():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None).type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    assert ExtractionConfig().flow == "tvl1" and ExtractionConfig().stride == 16
    with pytest.raises(ValueError, match="crop <= resize"):
        ExtractionConfig(resize=200, crop=224)
    with pytest.raises(ValueError, match="unknown optical flow"):
        ExtractionConfig(flow="raft")


def test_default_tvl1_single_video(tmp_path, video_writer, random_weights):
    path = video_writer(tmp_path / "tiny.mp4", 20, size=(40, 32))
    rgb, flow, meta = extract_video_features(path, *random_weights, resize=16, crop=16, progress=False, device="cpu")
    assert rgb.shape == flow.shape == (1, 1024) and rgb.dtype == flow.dtype == np.float32
    assert meta["settings"]["flow"] == "tvl1" and meta["settings"]["flow_params"]["tau"] == pytest.approx(0.25)
    assert meta["num_snippets"] == 1 and meta["frames"] == 20 and meta["video"] == "tiny"


@pytest.mark.slow
def test_core_imports_need_neither_av_nor_cv2():
    code = (
        "import sys, tal_pyg, tal_pyg.extract, tal_pyg.cli.extract, tal_pyg.utils.subtitles;"
        "assert 'av' not in sys.modules and 'cv2' not in sys.modules,"
        " sorted(m for m in sys.modules if m in ('av', 'cv2'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_output_loads_through_the_basnet_layout_dataset(tmp_path, extracted):
    """The folder written by extract_to_directory + a gt.json is a dataset tal_pyg.datasets reads."""
    try:
        from tal_pyg.datasets import WTALFeatures
    except ImportError as e:  # pragma: no cover - datasets are another part of the library
        pytest.skip(f"tal_pyg.datasets not available: {e}")
    out, _ = extracted
    root = tmp_path / "dataset"
    shutil.copytree(out, root)
    database = {
        name: {"subset": "test", "annotations": [{"segment": ["0.5", "1.5"], "label": "Moving"}]} for name in VIDEOS
    }
    (root / "gt.json").write_text(json.dumps({"database": database}))
    ds = WTALFeatures(root, split="test", layout="basnet", class_names=["Moving"])
    assert len(ds) == 3
    for data in ds:
        frames25 = VIDEOS[data.video_name][2]
        assert tuple(data.x.shape) == (frames25 // 16, 2048) and data.x.dtype == torch.float32
        assert data.snippet_seconds == pytest.approx(0.64)
        rgb = np.load(out / "features" / "test" / "rgb" / f"{data.video_name}.npy")
        np.testing.assert_array_equal(data.x[:, :1024].numpy(), rgb)  # RGB columns first
