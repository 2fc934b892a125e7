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
