"""``tal-pyg synth`` and ``tal-pyg convert`` (in-process through the dispatcher)."""
import json

from tal_pyg.cli.main import main
from tal_pyg.datasets import WTALFeatures
from tests._reference.layouts import write_wtalc


def test_synth_cli(tmp_path, capsys):
    out = tmp_path / "s"
    rc = main(["synth", "--preset", "thumos-like-small", "--out", str(out), "--seed", "2", "--num-train", "3",
               "--num-test", "2", "--feature-dim", "8", "--set", "easy_fraction=0.5", "--set", "flow.noise=0.1"])
    assert rc == 0 and "wrote" in capsys.readouterr().out
    cfg = json.loads((out / "synthetic.json").read_text())["config"]
    assert cfg["easy_fraction"] == 0.5 and cfg["flow"]["noise"] == 0.1 and cfg["feature_dim"] == 8
    assert len(WTALFeatures(out, split="train")) == 3
    assert main(["synth", "--out", str(out)]) == 2  # not empty
    assert "not empty" in capsys.readouterr().err
    assert main(["synth", "--out", str(tmp_path / "t"), "--set", "nope=1"]) == 2


def test_convert_cli(tmp_path, capsys):
    write_wtalc(tmp_path / "w")
    assert main(["convert", str(tmp_path / "w"), "--out", str(tmp_path / "o")]) == 2
    assert "--trust-pickle" in capsys.readouterr().err and not (tmp_path / "o").exists()
    assert main(["convert", str(tmp_path / "w"), "--out", str(tmp_path / "o"), "--trust-pickle"]) == 0
    assert "2 train / 2 test" in capsys.readouterr().out
    assert WTALFeatures(tmp_path / "o", split="test").video_names == ["video_test_0", "video_test_1"]
