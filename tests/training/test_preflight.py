"""Pre-flight: every video of both splits is checked before the first iteration; all bad files are listed
(nothing trained, nothing written), or skipped and counted with data.on_error: skip."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from tal_pyg.cli.main import main
from tal_pyg.config import load_config
from tal_pyg.training import Trainer
from tal_pyg.training.preflight import PreflightError
from tests.conftest import make_tiny_config


@pytest.fixture
def damaged(tiny_features, tmp_path):
    """A copy of the tiny dataset with a NaN and a truncated file in two test videos and a text file in a
    training video."""
    root = tmp_path / "data"
    shutil.copytree(tiny_features, root)
    test = (root / "split_test.txt").read_text().split()
    train = (root / "split_train.txt").read_text().split()
    nan = root / "features/test/rgb" / f"{test[0]}.npy"
    x = np.load(nan)
    x[3, 2] = np.nan
    np.save(nan, x)
    cut = root / "features/test/flow" / f"{test[1]}.npy"
    cut.write_bytes(cut.read_bytes()[:-40])
    text = root / "features/train/rgb" / f"{train[0]}.npy"
    text.write_text("not an array\n")
    return root, {"nan": nan, "truncated": cut, "text": text}


def test_every_bad_file_is_listed_before_training(damaged, tmp_path):
    root, bad = damaged
    out = tmp_path / "run"
    with pytest.raises(PreflightError) as info:
        Trainer(load_config(data=make_tiny_config(root)), out, log=lambda s: None)
    msg = str(info.value)
    assert msg.startswith("pre-flight: 3 bad video(s), nothing trained")
    assert "data.on_error: skip" in msg
    assert f"{bad['nan']}: 1 NaN/Inf value(s)" in msg
    assert f"{bad['truncated']}: truncated .npy file" in msg and f"{bad['text']}: not a valid .npy file" in msg
    assert not (out / "config.yaml").exists() and not (out / "metrics.jsonl").exists()


def test_on_error_skip_leaves_them_out_counted(damaged, tmp_path, capsys):
    root, bad = damaged
    cfg = make_tiny_config(root, data={"on_error": "skip"}, optim={"iterations": 2})
    path = tmp_path / "cfg.yaml"
    import yaml

    path.write_text(yaml.safe_dump(cfg))
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "run")]) == 0
    cap = capsys.readouterr()
    assert "warning: pre-flight: left out 1 bad video(s) of split 'train' (data.on_error: skip)" in cap.out
    assert "warning: pre-flight: left out 2 bad video(s) of split 'test' (data.on_error: skip)" in cap.out
    ev = json.loads((tmp_path / "run/eval.json").read_text())
    assert {k: len(v) for k, v in ev["skipped_videos"].items()} == {"train": 1, "test": 2}
    assert bad["nan"].stem in ev["skipped_videos"]["test"]
    assert not any("warnings.warn" in line or "UserWarning" in line for line in cap.err.splitlines())


def test_an_empty_test_split_stops_before_training(tiny_features, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(tiny_features, root)
    (root / "split_test.txt").write_text("")
    with pytest.raises((PreflightError, ValueError), match="test"):
        Trainer(load_config(data=make_tiny_config(root)), tmp_path / "run", log=lambda s: None)
