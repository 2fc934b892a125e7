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


def test_open_training_data_generates_the_synthetic_benchmark_on_first_use(tmp_path, monkeypatch):
    import dataclasses

    from tal_pyg.datasets import SYNTHETIC_PRESETS
    from tal_pyg.training.build import open_training_data

    monkeypatch.setenv("TAL_PYG_CACHE", str(tmp_path))
    small = dataclasses.replace(SYNTHETIC_PRESETS["thumos-like-small"], num_train=8, num_test=3, feature_dim=8,
                                max_snippets=40)
    monkeypatch.setitem(SYNTHETIC_PRESETS, "thumos-like-small", small)
    cfg = load_config(data={"data": {"dataset": "synthetic-small", "val_fraction": 0.25}})
    lines = []
    data = open_training_data(cfg, lines.append)
    assert any("generating the synthetic benchmark" in line for line in lines)
    assert len(data.train_set) == 8 and len(data.test_set) == 3 and data.in_channels == 8
    assert sorted(data.train_idx + data.val_idx) == list(range(8)) and len(data.val_idx) == 2
    assert data.num_classes == len(data.class_names) > 0
    lines.clear()
    open_training_data(cfg, lines.append)  # cached: nothing generated
    assert not any("generating" in line for line in lines)


def test_restore_training_state_refuses_another_config(tiny_features, tiny_config, tmp_path):
    from tal_pyg.training import CheckpointError, Trainer, restore_training_state

    cfg = load_config(data=tiny_config(tiny_features, optim={"iterations": 2}))
    trainer = Trainer(cfg, tmp_path / "run", log=lambda s: None)
    trainer.fit()
    last = tmp_path / "run/checkpoints/last.pt"
    restored = restore_training_state(last, cfg, trainer.model, trainer.optimizers, trainer.sampler,
                                      trainer.precision)
    assert restored["iteration"] == 2 and restored["best"]["iteration"] in (1, 2)
    other = load_config(data=tiny_config(tiny_features, optim={"iterations": 2, "lr": 0.5}))
    with pytest.raises(CheckpointError, match="optim.lr"):
        restore_training_state(last, other, trainer.model, trainer.optimizers, trainer.sampler, trainer.precision)


def test_a_synthetic_variant_gets_its_own_cache_folder(tmp_path, monkeypatch):
    import json

    from tal_pyg.training.data import ensure_synthetic, synthetic_root

    monkeypatch.setenv("TAL_PYG_CACHE", str(tmp_path))
    tiny = {"num_train": 4, "num_test": 2, "feature_dim": 8, "max_snippets": 40}
    base = load_config(data={"data": {"dataset": "synthetic-small", "synthetic_options": tiny}})
    variant = load_config(data={"data": {"dataset": "synthetic-small",
                                         "synthetic_options": {**tiny, "difficulty_scope": "instance"}}})
    root, vroot = synthetic_root(base.data), synthetic_root(variant.data)
    assert root != vroot and root.parent == vroot.parent == tmp_path / "synthetic"
    assert vroot.name.startswith("thumos-like-small-seed0-")
    assert ensure_synthetic(variant.data, log=lambda s: None) == vroot
    meta = json.loads((vroot / "synthetic.json").read_text())
    assert meta["config"]["difficulty_scope"] == "instance" and meta["config"]["feature_dim"] == 8
    # a cached copy written before a knob existed counts as made with its default: not regenerated
    ensure_synthetic(base.data, log=lambda s: None)
    meta = json.loads((root / "synthetic.json").read_text())
    del meta["config"]["difficulty_scope"]
    (root / "synthetic.json").write_text(json.dumps(meta))
    lines = []
    assert ensure_synthetic(base.data, log=lines.append) == root and lines == []


@pytest.mark.parametrize("options, message", [
    ({"difficulty_scop": "instance"}, "difficulty_scop.*not a field of SyntheticConfig"),
    ({"difficulty_scope": "video"}, "difficulty_scope must be"),
    ({"occlusion": [0.9, 0.1]}, "occlusion must satisfy"),
])
def test_bad_synthetic_options_are_config_errors(options, message):
    from tal_pyg.config import ConfigError

    with pytest.raises(ConfigError, match="data.synthetic_options: .*" + message):
        load_config(data={"data": {"dataset": "synthetic-small", "synthetic_options": options}})


def test_synthetic_options_on_a_real_dataset_are_a_config_error():
    from tal_pyg.config import ConfigError

    with pytest.raises(ConfigError, match="only for the synthetic datasets"):
        load_config(data={"data": {"dataset": "thumos14", "root": "x", "synthetic_options": {"easy_fraction": 0.1}}})
