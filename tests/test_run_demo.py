"""The demo of experiments/run.py: paired seeds in worker processes, table and paired difference."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

RUN_PY = Path(__file__).resolve().parents[1] / "experiments" / "run.py"


def _load_run():
    spec = importlib.util.spec_from_file_location("experiments_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_demo_pairs_seeds(tiny_features, tiny_config, tmp_path, capsys):
    run = _load_run()
    configs = []
    for name, acg in (("base", False), ("acg", True)):
        cfg = tiny_config(tiny_features, model={"acgnet": {"enabled": acg, "k": 4}}, optim={"iterations": 4})
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        configs.append(str(path))
    out = run.run_demo(tmp_path / "demo", seeds=2, workers=2, configs=configs,
                       per_config=([], ["model.acgnet.k=3"]))
    text = capsys.readouterr().out
    base, acg = out["runs"]["BaS-Net"], out["runs"]["BaS-Net + ACGNet"]
    assert len(base) == len(acg) == 2
    # every run has its own folder and log, seeds as asked
    for stem in ("base", "acg"):
        for s in range(2):
            folder = tmp_path / "demo" / f"{stem}_s{s}"
            assert (folder / "eval.json").is_file() and (tmp_path / "demo" / f"{stem}_s{s}.log").is_file()
            saved = yaml.safe_load((folder / "config.yaml").read_text())
            assert saved["train"]["seed"] == s
            assert saved["model"]["acgnet"]["k"] == (3 if stem == "acg" else 4)  # per-config overrides
    d = out["difference"]["avg mAP"]
    diffs = [100 * (a["average_mAP"] - b["average_mAP"]) for a, b in zip(acg, base)]
    assert d["n"] == 2 and d["mean"] == pytest.approx(sum(diffs) / 2)
    assert "| BaS-Net + ACGNet |" in text and "paired t, 95 %, 2 seeds" in text
    assert (tmp_path / "demo" / "demo.json").is_file()


def test_demo_protocol_overrides_reach_each_config(tmp_path):
    run = _load_run()
    base, acg = run.protocol_overrides("paper-r1")
    assert "optim.lr=1e-4" in base and "model.acgnet.k=7" not in base  # the graph values only with ACGNet
    assert acg[:len(base)] == base and "model.acgnet.k=7" in acg and "model.acgnet.z=3" in acg
    with pytest.raises(SystemExit, match="unknown protocol"):
        run.protocol_overrides("nope")
