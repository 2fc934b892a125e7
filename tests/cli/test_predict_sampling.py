"""tal-pyg predict: explicit inference sampling (host / all / windowed), the down-sampling warning, the
--video pre-check and --plot without matplotlib (in-process: main() and predict_features)."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from tal_pyg.cli.main import main
from tal_pyg.cli.predict import _window_starts, predict_features


@pytest.fixture(scope="module")
def checkpoint(tiny_features, tmp_path_factory):
    from tal_pyg.config import load_config
    from tal_pyg.training import Trainer
    from tests.conftest import make_tiny_config

    out = tmp_path_factory.mktemp("predict") / "run"
    cfg = make_tiny_config(tiny_features, model={"head": "basnet", "head_config": {
        "hidden_channels": 16, "filter_hidden_channels": 8, "proposal": {"argmax_if_none": True}},
        "acgnet": {"enabled": True, "k": 4}})
    Trainer(load_config(data=cfg), out, log=lambda s: None).fit()
    return out / "checkpoints/best.pt"


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "long.npy"
    np.save(path, np.abs(np.random.RandomState(0).randn(400, 32)).astype(np.float32))
    return path


@pytest.mark.parametrize("length, window, overlap", [(400, 32, 0.5), (100, 32, 0.0), (33, 32, 0.5), (10, 32, 0.5),
                                                      (1000, 100, 0.25)])
def test_windows_cover_every_snippet_with_the_overlap(length, window, overlap):
    starts = _window_starts(length, window, overlap)
    covered = np.zeros(length, dtype=bool)
    for s in starts:
        covered[s:s + window] = True
    assert covered.all() and starts[0] == 0 and min(length, starts[-1] + window) == length
    steps = np.diff(starts)
    assert (steps <= round(window * (1 - overlap))).all() and (steps > 0).all()


def test_sampling_is_printed_and_a_strong_downsampling_warns(checkpoint, long_video, tmp_path, capsys):
    assert main(["predict", "--checkpoint", str(checkpoint), "--features", str(long_video),
                 "--out", str(tmp_path / "h.json")]) == 0
    cap = capsys.readouterr()
    assert "long: sampling: host rule (UniformSampling(32)): 400 snippets -> 32 steps (x12.5 down-sampled" in cap.out
    assert cap.err.splitlines() == ["tal-pyg predict: warning: long: down-sampled x12.5 to 8.00 s per step (more "
                                    "than x4): actions shorter than a few steps cannot be localised; use "
                                    "--snippets all (or windowed)"]
    assert main(["predict", "--checkpoint", str(checkpoint), "--features", str(long_video), "--snippets", "all",
                 "--out", str(tmp_path / "a.json")]) == 0
    cap = capsys.readouterr()
    assert "400 snippets -> 400 steps (x1 down-sampled, 0.64 s per step)" in cap.out and cap.err == ""


def test_windowed_merges_the_detections_of_every_window_with_nms(checkpoint, long_video, monkeypatch):
    """Independent reference: each window run alone (``all``), shifted by its start, then class-wise NMS."""
    import tal_pyg.cli.predict as predict
    from tal_pyg.postprocess.nms import class_nms
    from tal_pyg.training.build import load_model

    monkeypatch.setattr(predict, "WINDOWS_PER_BATCH", 1)  # as the reference: one window per forward pass

    model, cfg, state = load_model(str(checkpoint))
    names = list(state["class_names"])
    x = np.load(long_video)
    got = predict_features(model, cfg, names, x, "long", snippets="windowed", window=64, overlap=0.5)
    assert got["sampling"].startswith("sampling: windowed, 12 window(s) of 64 snippets")
    rows = []
    for s in range(0, 400 - 64, 32):
        rows += [(names.index(d["label"]), d["score"], d["segment"][0] + s * 0.64, d["segment"][1] + s * 0.64)
                 for d in predict_features(model, cfg, names, x[s:s + 64], "w", snippets="all")["detections"]]
    rows += [(names.index(d["label"]), d["score"], d["segment"][0] + 336 * 0.64, d["segment"][1] + 336 * 0.64)
             for d in predict_features(model, cfg, names, x[336:], "w", snippets="all")["detections"]]
    pc = model.head.proposal_config
    assert not pc.soft_nms
    ref = class_nms(np.array(rows), pc.nms_threshold, length_offset=pc.nms_length_offset)
    ref = ref[np.argsort(-ref[:, 1], kind="stable")]
    mine = np.array([(names.index(d["label"]), d["score"], *d["segment"]) for d in got["detections"]])
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-9)
    assert got["cas"] is None or got["cas"].shape[0] == 400
    assert all(0 <= d["segment"][0] <= d["segment"][1] <= 400 * 0.64 + 1e-9 for d in got["detections"])


def test_video_input_is_checked_before_extraction(checkpoint, tmp_path, capsys, monkeypatch):
    import tal_pyg.extract as extract

    def never(*a, **k):
        raise AssertionError("extraction started")

    monkeypatch.setattr(extract, "extract_video_features", never, raising=False)
    for name in ("v.mp4", "rgb.pt", "flow.pt"):
        (tmp_path / name).write_bytes(b"x")
    args = ["predict", "--checkpoint", str(checkpoint), "--video", str(tmp_path / "v.mp4"),
            "--rgb-weights", str(tmp_path / "rgb.pt"), "--flow-weights", str(tmp_path / "flow.pt")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the model takes 32 feature columns, but --video extracts two-stream I3D" in err
    assert str(checkpoint) in err
    assert main(args[:3] + ["--video", str(tmp_path / "missing.mp4")] + args[5:]) == 2
    assert "missing.mp4: video file not found" in capsys.readouterr().err


def test_plot_without_matplotlib_says_which_extra(checkpoint, long_video, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out = tmp_path / "d.json"
    assert main(["predict", "--checkpoint", str(checkpoint), "--features", str(long_video), "--out", str(out),
                 "--plot", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err
    assert err == "tal-pyg predict: error: --plot needs matplotlib, which is not installed: pip install " \
                  "'tal-pyg[plot]'\n"
    assert not out.exists()  # checked before any work


def test_training_says_once_that_the_curves_need_matplotlib(tiny_features, tmp_path, monkeypatch):
    from tal_pyg.config import load_config
    from tal_pyg.training import Trainer
    from tests.conftest import make_tiny_config

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    logs = []
    Trainer(load_config(data=make_tiny_config(tiny_features, optim={"iterations": 2})), tmp_path / "r",
            log=logs.append).fit()
    assert [x for x in logs if "matplotlib" in x] == [
        "training_curves.png not written: matplotlib is not installed (pip install 'tal-pyg[plot]')"]
    assert json.loads((tmp_path / "r/eval.json").read_text())["average_mAP"] >= 0


def test_evaluate_without_options_reproduces_the_runs_eval_json(checkpoint, tiny_features, capsys):
    """The README's `tal-pyg evaluate` on a run's own predictions.json: the run's numbers, no option needed."""
    run = checkpoint.parents[1]
    assert main(["evaluate", "--ground-truth", str(tiny_features / "gt.json"), "--predictions",
                 str(run / "predictions.json"), "--json"]) == 0
    cap = capsys.readouterr()
    mine, ev = json.loads(cap.out), json.loads((run / "eval.json").read_text())
    assert mine["mAP"] == pytest.approx(ev["mAP"], abs=1e-12) and mine["subset"] == "test"
    assert cap.err.splitlines()[0] == ("tal-pyg evaluate: subset 'test' (predictions), tIoU thumos14 = "
                                       "0.10:0.10:0.70 (predictions)")
