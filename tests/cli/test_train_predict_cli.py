"""End-to-end tests of the command line on a tiny synthetic dataset.

The sub-commands run in-process through :func:`tal_pyg.cli.main.main` (what the ``tal-pyg`` script and
``python -m tal_pyg`` call); one test runs ``python -m tal_pyg`` in a subprocess to cover the entry point.
"""
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from tal_pyg.cli.main import main

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def tal_pyg(*args, check=True):
    """Run ``tal-pyg ARGS`` in-process; returns ``(returncode, stdout, stderr)`` like ``subprocess.run``."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    proc = SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())
    if check and proc.returncode != 0:
        raise AssertionError(f"tal-pyg {' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_python_m_tal_pyg_entry_point(trained):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "tal_pyg", "info", trained["out"] / "checkpoints/best.pt", "--json"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["head"] == "basnet"
    bad = subprocess.run([sys.executable, "-m", "tal_pyg", "info", trained["root"] / "cfg.yaml"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from tal_pyg.datasets import generate_synthetic

    root = tmp_path_factory.mktemp("cli")
    data = generate_synthetic("thumos-like-small", root / "data", seed=1, num_train=12, num_test=6,
                              feature_dim=32, max_snippets=48, min_snippets=16)
    cfg = {
        "name": "cli",
        "data": {"dataset": "features", "root": str(data), "num_segments": 32, "val_fraction": 0.25},
        "model": {"head": "basnet", "head_config": {"hidden_channels": 16, "filter_hidden_channels": 8,
                                                    "proposal": {"argmax_if_none": True}},
                  "acgnet": {"enabled": True, "k": 4}},
        "optim": {"batch_size": 4, "iterations": 4},
        "train": {"eval_every": 2, "checkpoint_every": 2, "progress": False},
    }
    (root / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    out = root / "run"
    proc = tal_pyg("train", "--config", root / "cfg.yaml", "--out", out, "--set", "train.log_every=1")
    assert "test mAP" in proc.stdout
    return {"root": root, "data": data, "out": out}


def test_train_leaves_the_run_folder(trained):
    out = trained["out"]
    ev = json.loads((out / "eval.json").read_text())
    assert set(ev) >= {"tiou_thresholds", "mAP", "average_mAP", "ap_per_class", "classification_mAP"}
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["train"]["log_every"] == 1 and cfg["model"]["acgnet"]["enabled"] is True


def test_evaluate_cli_reproduces_eval_json(trained):
    out, data = trained["out"], trained["data"]
    proc = tal_pyg("evaluate", "--ground-truth", data / "gt.json", "--predictions", out / "predictions.json",
                   "--subset", "test", "--preset", "thumos14", "--json",
                   "--allow-unknown-labels")  # a tiny test split need not contain every predicted class
    mine = json.loads(proc.stdout)
    ev = json.loads((out / "eval.json").read_text())
    assert mine["mAP"] == pytest.approx(ev["mAP"], abs=1e-12)
    assert mine["average_mAP"] == pytest.approx(ev["average_mAP"], abs=1e-12)


def test_info_describes_the_checkpoint(trained):
    proc = tal_pyg("info", trained["out"] / "checkpoints/best.pt", "--json")
    info = json.loads(proc.stdout)
    assert info["head"] == "basnet" and info["acgnet"] is True and info["in_channels"] == 32
    assert info["acgnet_parameters"] == 2 * 32 * 32
    text = tal_pyg("info", trained["out"] / "checkpoints/last.pt").stdout
    assert "BaSNetHead" in text and "--resume works" in text


def test_predict_features_and_streams(trained, tmp_path):
    pytest.importorskip("matplotlib")  # --plot needs the plot extra
    data, ckpt = trained["data"], trained["out"] / "checkpoints/best.pt"
    video = (data / "split_test.txt").read_text().split()[0]
    rgb = data / "features/test/rgb" / f"{video}.npy"
    flow = data / "features/test/flow" / f"{video}.npy"
    both = tmp_path / f"{video}.npy"
    np.save(both, np.concatenate([np.load(rgb), np.load(flow)], axis=1))
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    proc = tal_pyg("predict", "--checkpoint", ckpt, "--features", both, "--out", out1, "--plot", tmp_path / "p.png",
                   "--ground-truth", data / "gt.json", "--csv", tmp_path / "d.csv", "--srt", tmp_path / "d.srt")
    assert "detections" in proc.stdout
    tal_pyg("predict", "--checkpoint", ckpt, "--rgb", rgb, "--flow", flow, "--out", out2, "--name", video)
    a, b = json.loads(out1.read_text()), json.loads(out2.read_text())
    assert a["results"] == b["results"] and list(a["results"]) == [video]
    assert (tmp_path / "p.png").stat().st_size > 1000
    assert (tmp_path / "d.csv").read_text().startswith("start,end,label,score")


@pytest.mark.parametrize("make_bad, message", [
    (lambda p: np.save(p, np.zeros((10, 31), np.float32)), "31 columns"),
    (lambda p: np.save(p, np.full((10, 32), np.nan, np.float32)), "NaN"),
    (lambda p: np.save(p, np.zeros((0, 32), np.float32)), "empty"),
    (lambda p: np.save(p, np.zeros(32, np.float32)), "2-D"),
])
def test_predict_bad_features_are_clear_errors(trained, tmp_path, make_bad, message):
    bad = tmp_path / "bad.npy"
    make_bad(bad)
    proc = tal_pyg("predict", "--checkpoint", trained["out"] / "checkpoints/best.pt", "--features", bad,
                   "--out", tmp_path / "o.json", check=False)
    assert proc.returncode == 2
    assert message in proc.stderr and "bad.npy" in proc.stderr and "Traceback" not in proc.stderr


def test_train_config_errors_are_one_line(trained, tmp_path):
    cfg = trained["root"] / "cfg.yaml"
    for args, message in ((["--set", "model.acgnet.kk=3"], "model.acgnet.kk"),
                          (["--set", "optim.lr=fast"], "optim.lr"),
                          (["--set", "model.head_config.hidden=3"], "model.head_config.hidden")):
        proc = tal_pyg("train", "--config", cfg, "--out", tmp_path / "x", *args, check=False)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr and "Traceback" not in proc.stderr
    proc = tal_pyg("info", cfg, check=False)
    assert proc.returncode == 2 and "cannot be read as a tal_pyg checkpoint" in proc.stderr
