"""``tal-pyg predict --video``: raw video -> I3D features -> detections, in one command."""
import json

import numpy as np
import pytest
import torch

SMALL = dict(resize=24, crop=16)  # as the extraction tests: fast I3D on CPU

pytestmark = [pytest.mark.extract, pytest.mark.slow]


def test_predict_video_matches_predict_features(tmp_path, video_writer, random_weights):
    pytest.importorskip("av")
    pytest.importorskip("cv2")
    from tal_pyg.cli.main import main
    from tal_pyg.config import load_config, to_dict
    from tal_pyg.extract import extract_video_features
    from tal_pyg.training import save_checkpoint
    from tal_pyg.training.build import build_model

    # an (untrained) BaS-Net + ACGNet checkpoint for 2 x 1024 I3D features, 3 classes
    cfg = load_config(data={"model": {"head": "basnet", "acgnet": {"enabled": True, "k": 2},
                                      "head_config": {"hidden_channels": 8, "filter_hidden_channels": 4,
                                                      "proposal": {"argmax_if_none": True}}},
                            "data": {"test_sampling": "all"}})
    torch.manual_seed(0)
    model = build_model(cfg, 2048, 3)
    ckpt = tmp_path / "best.pt"
    save_checkpoint(ckpt, {"config": to_dict(cfg), "model": model.state_dict(), "in_channels": 2048,
                           "num_classes": 3, "class_names": ["A", "B", "C"], "iteration": 0})
    video = video_writer(tmp_path / "clip.mp4", n_frames=80, fps=25)  # 80 frames -> 5 snippets
    rgb_w, flow_w = random_weights
    args = ["predict", "--checkpoint", ckpt, "--video", video, "--rgb-weights", rgb_w, "--flow-weights", flow_w,
            "--flow-method", "dis", "--resize", SMALL["resize"], "--crop", SMALL["crop"],
            "--out", tmp_path / "v.json", "--srt", tmp_path / "v.srt", "--csv", tmp_path / "v.csv"]
    assert main([str(a) for a in args]) == 0
    rgb, flow, meta = extract_video_features(video, rgb_w, flow_w, flow="dis", progress=False, **SMALL)
    assert rgb.shape == flow.shape == (5, 1024)
    np.save(tmp_path / "clip.npy", np.concatenate([rgb, flow], axis=1))
    assert main([str(a) for a in ["predict", "--checkpoint", ckpt, "--features", tmp_path / "clip.npy",
                                  "--out", tmp_path / "f.json"]]) == 0
    from_video = json.loads((tmp_path / "v.json").read_text())["results"]["clip"]
    from_features = json.loads((tmp_path / "f.json").read_text())["results"]["clip"]
    assert len(from_video) > 0
    assert [d["label"] for d in from_video] == [d["label"] for d in from_features]
    np.testing.assert_allclose([d["score"] for d in from_video], [d["score"] for d in from_features], rtol=1e-4)
    assert "-->" in (tmp_path / "v.srt").read_text()
    assert (tmp_path / "v.csv").read_text().startswith("start,end,label,score")
