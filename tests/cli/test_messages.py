"""Messages that used to mislead: each is now one line that names the file and the real problem."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tal_pyg.cli.main import SUBCOMMANDS, main
from tal_pyg.datasets.npy import load_npy

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("write, message", [
    (lambda p: p.write_text("1 2 3\n"), "not a .npy file (it starts with b'1 2 3\\n'); expected an array written by "
                                        "numpy.save"),
    (lambda p: np.savez(open(p, "wb"), x=np.zeros((3, 4))), "a .npz archive (a zip of arrays), not a .npy array"),
    (lambda p: p.write_bytes(b""), "empty file (0 bytes)"),
    (lambda p: p.write_bytes(pickle.dumps({"x": 1})), "a Python pickle, not a .npy array"),
])
def test_what_a_non_npy_file_is(tmp_path, write, message):
    path = tmp_path / "f.npy"
    write(path)
    with pytest.raises(ValueError) as info:
        load_npy(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert "pickled object array" not in str(info.value)


def test_the_pickle_hint_names_options_that_exist(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError) as info:
        load_npy(path)
    msg = str(info.value)
    assert "pickled object array" in msg and "`tal-pyg convert --trust-pickle`" in msg
    assert "data.trust_pickle: true" in msg and "command line: --trust-pickle" not in msg


@pytest.mark.parametrize("override, message", [
    ("optim.iterations=-5", "optim.iterations: expected an integer >= 1, got -5"),
    ("optim.batch_size=0", "optim.batch_size: expected an integer >= 1, got 0"),
    ("optim.lr=0", "optim.lr: expected a number > 0"),
    ("train.eval_every=0", "train.eval_every: expected an integer >= 1"),
    ("model.acgnet.threshold=7", "model.acgnet.threshold: 7.0 leaves the graph without edges: entries of the "
                                 "'full' graph are at most 1 (alpha = 1)"),
    ("model.acgnet.threshold=1", "at most 1 (alpha = 1)"),
])
def test_config_values_that_cannot_run_are_refused(tiny_features, tmp_path, capsys, override, message):
    from tests.conftest import make_tiny_config

    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(make_tiny_config(tiny_features)))
    assert main(["train", "--config", str(cfg), "--out", str(tmp_path / "run"), "--set", override]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and str(cfg) in err
    assert not (tmp_path / "run" / "config.yaml").exists()


def test_a_reachable_threshold_is_accepted():
    from tal_pyg.config import ConfigError, load_config

    cfg = load_config(data={"model": {"acgnet": {"enabled": True, "threshold": 0.95, "alpha": 1.0}}})
    assert cfg.model.acgnet.max_entry() == 1.0
    # G2 = As - alpha At reaches 1 (cosine 1 where At = 0) with alpha >= 0, and 1 + |alpha| with alpha < 0:
    # the paper's lambda = 0.85 is reachable, so Table 3's G2 column can run at the paper's threshold
    g2 = {"enabled": True, "graph": "similarity_minus_temporal"}
    assert load_config(data={"model": {"acgnet": {**g2, "threshold": 0.85}}}).model.acgnet.max_entry() == 1.0
    assert load_config(data={"model": {"acgnet": {**g2, "threshold": 1.2, "alpha": -0.5}}})
    with pytest.raises(ConfigError, match="'similarity_minus_temporal' graph are at most 1 "):
        load_config(data={"model": {"acgnet": {**g2, "threshold": 1.0}}})


def test_a_checkpoint_of_another_head_names_the_file(tiny_features, tmp_path, capsys):
    import torch

    from tal_pyg.config import load_config
    from tal_pyg.training import Trainer
    from tests.conftest import make_tiny_config

    out = tmp_path / "run"
    Trainer(load_config(data=make_tiny_config(tiny_features, optim={"iterations": 2})), out, log=lambda s: None).fit()
    state = torch.load(out / "checkpoints/best.pt", weights_only=True)
    state["config"]["model"]["head"] = "dgam"  # BaS-Net's head_config keys are unknown to DGAM
    other = tmp_path / "other.pt"
    torch.save(state, other)
    assert main(["info", str(other)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tal-pyg info: error: {other}: the model of this checkpoint cannot be built (unknown keys "
                          "model.head_config.")
    assert err.count("\n") == 1


def test_no_help_imports_torch():
    """``tal-pyg --help`` and every ``tal-pyg CMD --help`` (one child process, no torch: see
    benchmarks/cli_help.py for the times)."""
    code = ("import sys, contextlib, io\n"
            "from tal_pyg.cli.main import main\n"
            "for cmd in [None] + sys.argv[1:]:\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        try: main(['--help'] if cmd is None else [cmd, '--help'])\n"
            "        except SystemExit: pass\n"
            "    print(cmd, 'torch' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code, *SUBCOMMANDS], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [x for cmd in ["None", *SUBCOMMANDS] for x in (cmd, "False")]


def test_synth_presets_in_the_help_are_the_generator_presets():
    from tal_pyg.config.experiment import SYNTHETIC_PRESET_OF
    from tal_pyg.datasets import SYNTHETIC_PRESETS

    assert set(SYNTHETIC_PRESET_OF.values()) == set(SYNTHETIC_PRESETS)


def test_python_warnings_print_as_one_line(capsys, monkeypatch):
    import warnings

    import tal_pyg.cli.info as info

    def run(args):
        warnings.warn("something odd\nin two lines", UserWarning)
        return 0

    monkeypatch.setattr(info, "run", run)
    assert main(["info", "x.pt"]) == 0
    assert capsys.readouterr().err == "tal-pyg info: warning: something odd in two lines\n"
