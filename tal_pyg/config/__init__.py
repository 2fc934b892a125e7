"""Experiment configuration: YAML files -> typed dataclasses."""
from tal_pyg.config.dataclass_io import ConfigError, apply_overrides, diff_keys, from_dict, merge, to_dict
from tal_pyg.config.experiment import (
    DATASETS,
    RUNTIME_KEYS,
    ACGNetConfig,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    OptimConfig,
    TrainConfig,
    load_config,
    load_config_dict,
)

__all__ = [
    "ConfigError",
    "from_dict",
    "to_dict",
    "merge",
    "diff_keys",
    "RUNTIME_KEYS",
    "apply_overrides",
    "DATASETS",
    "ACGNetConfig",
    "DataConfig",
    "ExperimentConfig",
    "ModelConfig",
    "OptimConfig",
    "TrainConfig",
    "load_config",
    "load_config_dict",
]
