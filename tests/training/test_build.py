import pytest
import torch

from tal_pyg.config import load_config
from tal_pyg.models import WithACGNet
from tal_pyg.training.build import build_model, build_optimizers

from pathlib import Path

CONFIGS = Path(__file__).resolve().parents[2] / "experiments" / "configs"


@pytest.mark.parametrize("overrides, width", [
    ([], 32), (["model.acgnet.fusion=concat"], 96),
    (["model.acgnet.fusion=concat", "model.acgnet.use_gcn=false"], 64),
])
def test_head_width_follows_acgnet_fusion(overrides, width):
    cfg = load_config(f"{CONFIGS}/synthetic-small_basnet_acgnet.yaml",
                      overrides=overrides + ["model.head_config.hidden_channels=8",
                                             "model.head_config.filter_hidden_channels=4"])
    model = build_model(cfg, 32, 5)
    assert isinstance(model, WithACGNet) and model.head.in_channels == width
    out = model(torch.rand(2, 20, 32))
    assert model.loss(out, torch.eye(5)[:2])["total"].isfinite()


@pytest.mark.parametrize("name, phases", [("synthetic-small_basnet", ["model"]),
                                          ("synthetic-small_dgam_acgnet", ["cvae", "model"])])
def test_one_optimiser_per_phase(name, phases):
    cfg = load_config(f"{CONFIGS}/{name}.yaml")
    model = build_model(cfg, 64, 5)
    opts = build_optimizers(model, cfg.optim)
    assert list(opts) == phases
    assert all(g["lr"] == cfg.optim.lr for o in opts.values() for g in o.param_groups)


def test_every_shipped_config_loads():
    names = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
    assert len(names) == 36
    for name in names:
        cfg = load_config(f"{CONFIGS}/{name}.yaml")
        assert cfg.name == name
        assert cfg.model.acgnet.enabled == name.endswith("_acgnet")
        dataset, head = name.replace("_acgnet", "").split("_")
        assert cfg.model.head == head


def test_synthetic_cache_is_regenerated_when_the_preset_changes(tmp_path, monkeypatch):
    import dataclasses
    import json

    from tal_pyg.datasets import SYNTHETIC_PRESETS
    from tal_pyg.training.data import ensure_synthetic

    monkeypatch.setenv("TAL_PYG_CACHE", str(tmp_path))
    small = dataclasses.replace(SYNTHETIC_PRESETS["thumos-like-small"], num_train=4, num_test=2, feature_dim=8,
                                max_snippets=40)
    monkeypatch.setitem(SYNTHETIC_PRESETS, "thumos-like-small", small)
    cfg = load_config(data={"data": {"dataset": "synthetic-small"}})
    root = ensure_synthetic(cfg.data, log=lambda s: None)
    first = (root / "gt.json").read_text()
    assert json.loads((root / "synthetic.json").read_text())["config"]["feature_dim"] == 8
    assert ensure_synthetic(cfg.data, log=lambda s: None) == root  # cached
    assert (root / "gt.json").read_text() == first
    monkeypatch.setitem(SYNTHETIC_PRESETS, "thumos-like-small", dataclasses.replace(small, feature_dim=6))
    ensure_synthetic(cfg.data, log=lambda s: None)
    assert json.loads((root / "synthetic.json").read_text())["config"]["feature_dim"] == 6
