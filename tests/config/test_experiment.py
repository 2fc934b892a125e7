from dataclasses import dataclass, field
from typing import List, Optional

import pytest

from tal_pyg.config import (
    ConfigError,
    ExperimentConfig,
    apply_overrides,
    from_dict,
    load_config,
    to_dict,
)


@dataclass
class Inner:
    a: int = 1
    b: Optional[float] = None


@dataclass
class Outer:
    name: str = "x"
    inner: Inner = field(default_factory=Inner)
    values: List[float] = field(default_factory=list)


def test_from_dict_nested_and_types():
    cfg = from_dict(Outer, {"name": "y", "inner": {"a": 3, "b": 2}, "values": [1, 2.5]})
    assert cfg.inner.a == 3 and cfg.inner.b == 2.0 and isinstance(cfg.inner.b, float)
    assert cfg.values == [1.0, 2.5]
    assert to_dict(cfg) == {"name": "y", "inner": {"a": 3, "b": 2.0}, "values": [1.0, 2.5]}


def test_unknown_key_names_the_path():
    with pytest.raises(ConfigError, match=r"inner\.c"):
        from_dict(Outer, {"inner": {"c": 1}})


@pytest.mark.parametrize("bad", [{"inner": {"a": "3"}}, {"inner": {"a": 1.5}}, {"inner": {"a": True}},
                                 {"name": 3}, {"values": "abc"}, {"inner": 5}])
def test_wrong_types_are_errors(bad):
    with pytest.raises(ConfigError):
        from_dict(Outer, bad)


def test_overrides_parse_yaml_values():
    d = apply_overrides({"model": {"acgnet": {"k": 50}}}, ["model.acgnet.k=40", "train.seed=3", "x.y=[1, 2]"])
    assert d == {"model": {"acgnet": {"k": 40}}, "train": {"seed": 3}, "x": {"y": [1, 2]}}
    with pytest.raises(ConfigError):
        apply_overrides({}, ["novalue"])


def test_float_fields_accept_exponents_without_a_dot():
    # PyYAML reads `5e-5` as a string (YAML 1.1 wants `5.0e-5`); float fields take both spellings
    cfg = from_dict(Outer, apply_overrides({}, ["inner.b=5e-5", "values=[1e3, -2E-1]"]))
    assert cfg.inner.b == 5e-5 and cfg.values == [1000.0, -0.2]
    with pytest.raises(ConfigError, match=r"inner\.b"):
        from_dict(Outer, {"inner": {"b": "5e"}})
    with pytest.raises(ConfigError):
        from_dict(Outer, {"inner": {"a": "1e3"}})  # an int field stays strict


def test_base_files_merge_and_override(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "d.yaml").write_text("data:\n  num_segments: 100\n  val_fraction: 0.2\n")
    (tmp_path / "base" / "h.yaml").write_text("model:\n  head: basnet\n  acgnet:\n    k: 7\n")
    (tmp_path / "e.yaml").write_text("base: [base/d.yaml, base/h.yaml]\nname: e\ndata:\n  num_segments: 120\n")
    cfg = load_config(tmp_path / "e.yaml", overrides=["model.acgnet.enabled=true"])
    assert isinstance(cfg, ExperimentConfig)
    assert cfg.name == "e" and cfg.data.num_segments == 120 and cfg.data.val_fraction == 0.2
    assert cfg.model.acgnet.k == 7 and cfg.model.acgnet.enabled is True
    assert cfg.model.acgnet.module_kwargs()["k"] == 7 and "epm_weight" not in cfg.model.acgnet.module_kwargs()


def test_bad_config_errors(tmp_path):
    p = tmp_path / "e.yaml"
    p.write_text("optim:\n  lr: fast\n")
    with pytest.raises(ConfigError, match="optim.lr"):
        load_config(p)
    p.write_text("data:\n  dataset: imagenet\n")
    with pytest.raises(ConfigError, match="imagenet"):
        load_config(p)
    p.write_text("trian:\n  seed: 1\n")
    with pytest.raises(ConfigError, match="trian"):
        load_config(p)
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "missing.yaml")
    p.write_text("base: [e.yaml]\n")
    with pytest.raises(ConfigError, match="circular"):
        load_config(p)


@pytest.mark.parametrize("key, value", [
    ("model.acgnet.fusion", "cat"), ("model.acgnet.graph", "foo"), ("model.acgnet.epm_reduction", "max"),
    ("optim.optimizer", "adamx"), ("optim.optimizer", "Adam"), ("train.selection", "test"),
    ("data.dataset", "imagenet"), ("data.layout", "bas"), ("data.modality", "audio"), ("data.on_error", "ignore"),
    ("data.test_sampling", "dense"), ("data.tiou_preset", "thumos"),
])
def test_fields_with_a_fixed_set_of_values_reject_others(key, value):
    """load_config names the key, the value and the allowed values (not a failure later, at training time)."""
    with pytest.raises(ConfigError) as info:
        load_config(overrides=[f"{key}={value}"])
    msg = str(info.value)
    assert msg.startswith(f"{key}: {value!r} is not one of the allowed values "), msg
    section, name = key.rsplit(".", 1)
    node = load_config()
    for part in section.split("."):
        node = getattr(node, part)
    assert repr(getattr(node, name)) in msg  # the default is one of the allowed values listed


def test_fixed_sets_of_values_match_the_code_that_uses_them():
    """Each Literal of the config equals the runtime check of the module that consumes the value."""
    from typing import get_args, get_type_hints

    from tal_pyg.config import experiment as ex
    from tal_pyg.datasets.layouts import LAYOUTS
    from tal_pyg.datasets.wtal_features import MODALITIES
    from tal_pyg.evaluation import TIOU_PRESETS
    from tal_pyg.graph import GRAPH_VARIANTS
    from tal_pyg.losses.epm import EPM_REDUCTIONS
    from tal_pyg.nn import FUSIONS

    assert get_args(ex.Layout) == ("auto", *LAYOUTS)
    assert get_args(ex.Modality) == MODALITIES
    assert set(get_args(ex.TIoUPreset)) == set(TIOU_PRESETS)
    assert get_args(ex.GraphVariant) == GRAPH_VARIANTS
    assert get_args(ex.Fusion) == FUSIONS
    assert get_args(ex.EPMReduction) == EPM_REDUCTIONS
    assert set(get_args(ex.Dataset)) == {"thumos14", "activitynet12", "features"} | set(ex.SYNTHETIC_PRESET_OF)
    hints = get_type_hints(ex.ACGNetConfig)
    assert hints["graph"] is ex.GraphVariant and hints["fusion"] is ex.Fusion


def test_every_allowed_optimizer_builds():
    from typing import get_args

    import torch

    from tal_pyg.config import OptimConfig
    from tal_pyg.config.experiment import Optimizer
    from tal_pyg.training.build import make_optimizer

    for name in get_args(Optimizer):
        assert isinstance(make_optimizer([torch.nn.Parameter(torch.zeros(1))], OptimConfig(optimizer=name)),
                          torch.optim.Optimizer)


def test_configs_built_in_python_are_checked_too():
    from tal_pyg.config import ACGNetConfig, DataConfig, ModelConfig, TrainConfig

    with pytest.raises(ConfigError, match=r"model\.acgnet\.fusion: 'cat' is not one of"):
        ExperimentConfig(model=ModelConfig(acgnet=ACGNetConfig(fusion="cat")))
    with pytest.raises(ConfigError, match=r"data\.modality: 'audio'"):
        DataConfig(modality="audio")
    with pytest.raises(ConfigError, match=r"train\.selection"):
        TrainConfig(selection="best")


OLD_FLAT = {  # model.head_config of a config.yaml written before the localisation keys were nested
    "basnet": ({"hidden_channels": 128, "argmax_if_none": True, "act_thresholds": [0.0, 0.1], "minmax_clip": True,
                "oic_margin_ratio": 0.3, "video_score_weight": 0.1, "nms_length_offset": 0.0},
               {"hidden_channels": 128, "proposal": {"argmax_if_none": True, "thresholds": [0.0, 0.1],
                                                     "minmax_clip": True, "margin_ratio": 0.3, "score_weight": 0.1,
                                                     "nms_length_offset": 0.0}}),
    "bam": ({"cas_thresholds": [0.1], "min_length": 3, "short_runs_in_signal": False, "nms_threshold": 0.5},
            {"proposal": {"thresholds": [0.1], "min_length": 3, "short_runs_in_signal": False,
                          "nms_threshold": 0.5}}),
    "dgam": ({"outer_weight": 0.2, "upsample": 10, "soft_nms": True, "attention_mix": 0.3},
             {"attention_mix": 0.3, "proposal": {"outer_weight": 0.2, "upsample": 10, "soft_nms": True}}),
}


@pytest.mark.parametrize("head", sorted(OLD_FLAT))
def test_a_config_yaml_with_the_old_flat_localisation_keys_loads_as_the_nested_one(head, tmp_path):
    import json

    import yaml

    old, new = OLD_FLAT[head]
    (tmp_path / "old.yaml").write_text(yaml.safe_dump({"model": {"head": head, "head_config": old}}))
    (tmp_path / "new.yaml").write_text(yaml.safe_dump({"model": {"head": head, "head_config": new}}))
    with pytest.warns(FutureWarning, match=r"model\.head_config\.\w+ is deprecated, read as model\.head_config"
                                           r"\.proposal\.\w+"):
        a = load_config(tmp_path / "old.yaml")
    b = load_config(tmp_path / "new.yaml")
    assert a == b and a.differences(b) == [] and a.to_dict() == b.to_dict()
    assert a.head_config() == b.head_config()
    # an old run's --set spelling works as well
    flat_key = next(k for k in old if k != "hidden_channels" and k != "attention_mix")
    with pytest.warns(FutureWarning, match=flat_key):
        c = load_config(tmp_path / "new.yaml", overrides=[f"model.head_config.{flat_key}={json.dumps(old[flat_key])}"])
    assert c == b


def test_a_flat_key_contradicting_its_nested_field_is_an_error():
    with pytest.raises(ConfigError, match="argmax_if_none.*both given"):
        load_config(data={"model": {"head": "basnet", "head_config": {"argmax_if_none": True,
                                                                      "proposal": {"argmax_if_none": False}}}})


def test_nested_localisation_keeps_each_heads_released_defaults():
    from tal_pyg.models import HEADS

    for head, (_, cfg_cls) in HEADS.items():
        cfg = load_config(data={"model": {"head": head, "head_config": {"proposal": {"soft_nms": True}}}})
        default = cfg_cls().proposal
        assert cfg.head_config().proposal == type(default)(**{**vars(default), "soft_nms": True}), head
    assert load_config(data={"model": {"head": "dgam"}}).head_config().proposal.nms_threshold == 0.5
    with pytest.raises(ConfigError, match="proposal.contrast"):
        load_config(data={"model": {"head": "basnet", "head_config": {"proposal": {"contrast": "foo"}}}})
