"""The experiment configuration: one YAML file per experiment, loaded into typed dataclasses.

A YAML file may name base files (``base: [../base/datasets/thumos14.yaml, ...]``, paths relative to the
file); they are merged in order, then the file's own keys, then the ``--set key.path=value`` overrides.
Every key is checked against the dataclasses below: an unknown key or a wrong type is an error that
names the key.

A field with a fixed set of values is typed with one of the ``Literal`` aliases below; :func:`load_config`
rejects any other value with a message that names the key, the value and the allowed values.

Head hyper-parameters (``model.head_config``) are checked against the chosen head's own config
dataclass (:data:`tal_pyg.models.HEADS`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Sequence, get_args

import yaml

from tal_pyg.graph.params import DEFAULT_GRAPH, GraphVariant
from tal_pyg.config.dataclass_io import (
    ConfigError,
    apply_overrides,
    check_choices,
    diff_keys,
    from_dict,
    merge,
    to_dict,
)

if TYPE_CHECKING:
    from tal_pyg.datasets.synthetic.config import SyntheticConfig

#: fields that change how a run executes, not its definition (resume and reuse of a run ignore them); the
#: thread count and the device change the floating-point summation order, so results agree only to rounding
#: at first and can drift apart over training
RUNTIME_KEYS = ("train.progress", "train.device", "train.num_threads", "data.num_workers", "data.cache_mb")

# The fixed sets of values of the config fields. Each mirrors the runtime check of the code that consumes
# the value (tests/config/test_experiment.py holds them equal): the layouts of tal_pyg.datasets.layouts
# (+ "auto"), tal_pyg.datasets.wtal_features.MODALITIES, the tIoU presets of tal_pyg.evaluation.TIOU_PRESETS,
# tal_pyg.graph.GRAPH_VARIANTS, tal_pyg.nn.FUSIONS, tal_pyg.losses.EPM_REDUCTIONS and the optimisers of
# tal_pyg.training.build.make_optimizer.
Dataset = Literal["thumos14", "activitynet12", "features", "synthetic", "synthetic-small", "synthetic-anet",
                  "synthetic-anet-small"]
Layout = Literal["auto", "basnet", "wtalc", "dgam"]
Modality = Literal["all", "rgb", "flow"]
OnError = Literal["raise", "skip"]
TestSampling = Literal["auto", "uniform", "all", "cap", "clamp"]
TIoUPreset = Literal["thumos14", "thumos14-full", "activitynet"]
Fusion = Literal["sum", "concat"]
EPMReduction = Literal["mean", "sum"]
Optimizer = Literal["adam", "adamw", "sgd"]
Selection = Literal["val", "last", "test-oracle"]
Precision = Literal["fp32", "bf16", "fp16"]  # tal_pyg.training.step.PRECISIONS

DATASETS = get_args(Dataset)
#: synthetic dataset name -> preset of :func:`tal_pyg.datasets.generate_synthetic`
SYNTHETIC_PRESET_OF = {
    "synthetic": "thumos-like",
    "synthetic-small": "thumos-like-small",
    "synthetic-anet": "anet-like",
    "synthetic-anet-small": "anet-like-small",
}


#: values of ``data.test_sampling`` (see :class:`DataConfig`)
TEST_SAMPLING_RULES = get_args(TestSampling)


def released_test_sampling(head: str, tiou_preset: str) -> Dict[str, Any]:
    """The test-time sampling of the head's released code, as ``data`` keys (docs/departures.md).

    BaS-Net: every video uniformly to ``T`` steps (up- or down-sampled); UM/BaM: all ``L`` snippets
    when ``L <= T``, else uniformly to ``T``; DGAM: ``min(max(L, 50), 400)`` steps on THUMOS'14 and
    ``min(max(L, 2), 200)`` on ActivityNet1.2 (chosen by ``tiou_preset == "activitynet"``). Heads
    without a released rule get BaS-Net's.
    """
    if head == "bam":
        return {"test_sampling": "cap"}
    if head == "dgam":
        lo, hi = (2, 200) if tiou_preset == "activitynet" else (50, 400)
        return {"test_sampling": "clamp", "test_min_segments": lo, "test_num_segments": hi}
    return {"test_sampling": "uniform"}


def released_selection_metric(head: str, tiou_preset: str) -> str:
    """The model-selection metric of the head's released code (it selects on the test set): BaS-Net the
    mAP averaged over tIoU 0.1:0.9, UM/BaM over 0.1:0.7, DGAM mAP@0.5 on THUMOS'14; on ActivityNet1.2
    (``tiou_preset == "activitynet"``) the average over 0.5:0.95 for all."""
    if tiou_preset == "activitynet":
        return "average"
    return {"basnet": "average@thumos14-full", "bam": "average@thumos14", "dgam": "mAP@0.5"}.get(head, "average")


@dataclass
class DataConfig:
    """Where the features are and how videos are sampled.

    ``dataset`` is one of :data:`DATASETS`. For ``thumos14`` / ``activitynet12`` / ``features``, ``root`` is
    the folder of the features in one of the public layouts (``layout: auto`` detects it). For the
    synthetic datasets, ``root`` is the cache folder the benchmark is generated into on first use
    (default ``~/.cache/tal_pyg/synthetic/<preset>-seed<synthetic_seed>``).
    """

    dataset: Dataset = "synthetic-small"
    root: Optional[str] = None
    layout: Layout = "auto"
    modality: Modality = "all"
    ground_truth: Optional[str] = None  # ActivityNet JSON (for dataset: features)
    class_names: Optional[List[str]] = None  # for dataset: features, when the GT does not imply them
    trust_pickle: bool = False
    on_error: OnError = "raise"
    synthetic_seed: int = 0
    # a variant of the synthetic preset: fields of tal_pyg.datasets.SyntheticConfig to change, e.g.
    # {difficulty_scope: instance}; generated into its own cache folder (the preset's name + a hash of these)
    synthetic_options: Dict[str, Any] = field(default_factory=dict)
    train_split: str = "train"
    test_split: str = "test"
    num_segments: int = 750  # T: training videos are sampled to T snippets (random-perturbed)
    # Test-time sampling (docs/departures.md): "auto" = the head's released rule, filled in when the
    # experiment config is built (released_test_sampling); "uniform": every video to test_num_segments
    # steps (BaS-Net); "all": every snippet; "cap": every snippet up to test_num_segments, longer videos
    # down-sampled (UM/BaM); "clamp": to min(max(L, test_min_segments), test_num_segments) steps (DGAM).
    test_sampling: TestSampling = "auto"
    test_num_segments: Optional[int] = None  # "uniform" / "cap": defaults to num_segments; "clamp": upper bound
    test_min_segments: Optional[int] = None  # "clamp": lower bound
    val_fraction: float = 0.1  # validation videos carved from the training split (model selection)
    tiou_preset: TIoUPreset = "thumos14"
    tiou_thresholds: Optional[List[float]] = None  # overrides the preset
    ambiguous: bool = False  # THUMOS'14: drop predictions overlapping 'Ambiguous' segments
    # training batches made by this many worker processes (0: in the training process). Any value gives
    # the same batches. Default 0: on a small CPU machine the workers compete with the training step for
    # the same cores, and a first run needs no multiprocessing; on a GPU machine 2-4 keep up with a
    # paper-shape step (benchmarks/data_loading.py, docs/gpu.md).
    num_workers: int = 0
    # feature matrices kept in memory after their first read, per process (each loader worker has its
    # own); 0: read the files on every access. Any value gives the same batches.
    cache_mb: int = 2048
    # every video's features multiplied by this (training, validation, test, predict): a diagnostic that
    # trains a host on the scale of ACGNet's output without the graph (docs/protocol.md)
    feature_scale: float = 1.0

    def __post_init__(self) -> None:
        check_choices(self, "data")
        for key in ("test_num_segments", "test_min_segments"):
            if getattr(self, key) is not None and getattr(self, key) < 1:
                raise ConfigError(f"data.{key}: expected >= 1, got {getattr(self, key)}")
        if self.test_sampling == "clamp" and (self.test_min_segments is None or self.test_num_segments is None):
            raise ConfigError("data.test_sampling: 'clamp' needs data.test_min_segments and data.test_num_segments")
        if (self.test_sampling == "clamp" and self.test_min_segments is not None and self.test_num_segments is not None
                and self.test_min_segments > self.test_num_segments):
            raise ConfigError(f"data.test_min_segments ({self.test_min_segments}) must not exceed "
                              f"data.test_num_segments ({self.test_num_segments})")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(f"data.val_fraction: expected a value in [0, 1), got {self.val_fraction}")
        if self.num_segments < 1:
            raise ConfigError(f"data.num_segments: expected >= 1, got {self.num_segments}")
        if self.num_workers < 0:
            raise ConfigError(f"data.num_workers: expected >= 0, got {self.num_workers}")
        if not self.feature_scale > 0:
            raise ConfigError(f"data.feature_scale: expected > 0, got {self.feature_scale}")
        if self.cache_mb < 0:
            raise ConfigError(f"data.cache_mb: expected >= 0, got {self.cache_mb}")
        if self.synthetic_options:
            self.synthetic_config()  # unknown fields and impossible values fail here, not at generation

    def synthetic_config(self) -> "SyntheticConfig":
        """The :class:`~tal_pyg.datasets.SyntheticConfig` of a synthetic dataset: its preset with
        ``synthetic_options``."""
        from tal_pyg.datasets.synthetic.config import resolve_config  # numpy only, no torch

        if self.dataset not in SYNTHETIC_PRESET_OF:
            raise ConfigError(f"data.synthetic_options: only for the synthetic datasets "
                              f"({', '.join(SYNTHETIC_PRESET_OF)}), not {self.dataset!r}")
        try:
            return resolve_config(SYNTHETIC_PRESET_OF[self.dataset], dict(self.synthetic_options))
        except ValueError as e:
            raise ConfigError(f"data.synthetic_options: {e}") from None


@dataclass
class ACGNetConfig:
    """ACGNet plug-in (paper Eq. 1-8; decisions in docs/method.md). ``enabled: false`` trains the bare head."""

    enabled: bool = False
    k: int = DEFAULT_GRAPH.k  # the graph's defaults: tal_pyg.graph.params
    threshold: float = DEFAULT_GRAPH.threshold
    alpha: float = DEFAULT_GRAPH.alpha
    z: int = DEFAULT_GRAPH.z
    graph: GraphVariant = DEFAULT_GRAPH.graph
    num_layers: int = 2
    use_avg: bool = True
    use_gcn: bool = True
    fusion: Fusion = "sum"
    block_size: Optional[int] = DEFAULT_GRAPH.block_size
    epm_weight: float = 1.0
    epm_reduction: EPMReduction = "mean"

    def __post_init__(self) -> None:
        if not self.enabled:
            return
        top = self.max_entry()
        if top is not None and self.threshold >= top:
            raise ConfigError(
                f"model.acgnet.threshold: {self.threshold} leaves the graph without edges: entries of the "
                f"{self.graph!r} graph are at most {top:g} (alpha = {self.alpha:g}) and an edge needs an entry "
                "above the threshold (paper Eq. 3-4)")

    def max_entry(self) -> Optional[float]:
        """The largest value an entry of the graph can take (cosine 1, temporal weight 0 or 1), or ``None``
        for an unknown graph variant (reported by :class:`tal_pyg.nn.ACGNet`): G3 = (As + α·At)/2 (Eq. 3),
        G1 = As, G2 = As − α·At (no ½, docs/method.md), Gt only = At."""
        a_pos, a_neg = max(self.alpha, 0.0), max(-self.alpha, 0.0)
        return {"full": (1.0 + a_pos) / 2, "similarity": 1.0, "similarity_minus_temporal": 1.0 + a_neg,
                "temporal_only": 1.0}.get(self.graph)

    def module_kwargs(self) -> Dict[str, Any]:
        """Keyword arguments of :class:`tal_pyg.nn.ACGNet` (everything but the switches of the wrapper)."""
        d = dataclasses.asdict(self)
        for key in ("enabled", "epm_weight", "epm_reduction"):
            d.pop(key)
        return d


@dataclass
class ModelConfig:
    head: str = "basnet"  # a key of tal_pyg.models.HEADS
    head_config: Dict[str, Any] = field(default_factory=dict)  # checked against the head's config dataclass
    acgnet: ACGNetConfig = field(default_factory=ACGNetConfig)

    def __post_init__(self) -> None:
        self.head_config = nest_flat_proposal_keys(self.head, self.head_config)


def nest_flat_proposal_keys(head: str, head_config: Dict[str, Any]) -> Dict[str, Any]:
    """``model.head_config`` with the flat localisation keys of earlier versions moved into its
    ``proposal`` section (``argmax_if_none: true`` -> ``proposal: {argmax_if_none: true}``, renamed where the
    head's ``FLAT_PROPOSAL_KEYS`` say so), with one :class:`FutureWarning` naming them. A ``config.yaml``
    written by an earlier version therefore loads to the configuration it ran (``--resume``, run reuse).

    Raises:
        ConfigError: a flat key and its ``proposal`` field are both given, with different values.
    """
    import warnings

    from tal_pyg.models import HEADS

    if head not in HEADS or not isinstance(head_config, dict):
        return head_config  # an unknown head is reported by ExperimentConfig.head_config()
    renames: Dict[str, str] = getattr(HEADS[head][1], "FLAT_PROPOSAL_KEYS", {})
    flat = [k for k in head_config if k in renames]
    if not flat:
        return head_config
    out = {k: v for k, v in head_config.items() if k not in renames}
    given = out.get("proposal") or {}
    if not isinstance(given, dict):
        return head_config  # not a mapping: from_dict names the problem
    proposal = dict(given)
    for key in flat:
        new = renames[key]
        if new in proposal and proposal[new] != head_config[key]:
            raise ConfigError(f"model.head_config.{key} ({head_config[key]!r}) and model.head_config.proposal.{new} "
                              f"({proposal[new]!r}) are both given: keep model.head_config.proposal.{new}")
        proposal[new] = head_config[key]
    out["proposal"] = proposal
    warnings.warn("; ".join(f"model.head_config.{k} is deprecated, read as model.head_config.proposal.{renames[k]}"
                            for k in flat), FutureWarning, stacklevel=2)
    return out


@dataclass
class OptimConfig:
    """One optimiser per training phase of the head, all built from these values."""

    optimizer: Optimizer = "adam"
    lr: float = 1e-4
    weight_decay: float = 5e-4
    betas: List[float] = field(default_factory=lambda: [0.9, 0.999])
    momentum: float = 0.9  # sgd only
    batch_size: int = 16
    iterations: int = 1500
    grad_clip: Optional[float] = None

    def __post_init__(self) -> None:
        for key in ("batch_size", "iterations"):
            if getattr(self, key) < 1:
                raise ConfigError(f"optim.{key}: expected an integer >= 1, got {getattr(self, key)}")
        if not self.lr > 0:
            raise ConfigError(f"optim.lr: expected a number > 0, got {self.lr}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ConfigError(f"optim.grad_clip: expected a number > 0 (or null), got {self.grad_clip}")


@dataclass
class TrainConfig:
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    eval_every: int = 100  # iterations between validation evaluations
    log_every: int = 10
    checkpoint_every: int = 100
    # Model selection: "val" (best average mAP on the validation videos carved from training data),
    # "last" (the final iteration), or "test-oracle" (the original repositories' protocol: best checkpoint
    # on the test set; reported as such).
    selection: Selection = "val"
    # The number the selection maximises: "auto" = under test-oracle the head's released metric
    # (released_selection_metric), otherwise "average"; or "average", "average@<tIoU preset>", "mAP@<t>".
    selection_metric: str = "auto"
    eval_batch_size: int = 8
    num_threads: Optional[int] = None  # torch.set_num_threads; None = torch's default
    deterministic: bool = False  # torch.use_deterministic_algorithms (GPU runs)
    progress: bool = True
    # fp32 | bf16 | fp16: autocast of the forward pass (fp16 with loss scaling); the graph is always built
    # from the float32 similarity. See docs/gpu.md.
    precision: Precision = "fp32"

    def __post_init__(self) -> None:
        check_choices(self, "train")
        for key in ("eval_every", "log_every", "checkpoint_every", "eval_batch_size"):
            if getattr(self, key) < 1:
                raise ConfigError(f"train.{key}: expected an integer >= 1, got {getattr(self, key)}")
        if self.num_threads is not None and self.num_threads < 1:
            raise ConfigError(f"train.num_threads: expected an integer >= 1 (or null), got {self.num_threads}")
        if self.selection_metric != "auto":
            from tal_pyg.evaluation.selection import parse_selection_metric

            try:
                parse_selection_metric(self.selection_metric)
            except ValueError as e:
                raise ConfigError(f"train.selection_metric: {e}") from None


@dataclass
class ExperimentConfig:
    name: str = "experiment"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        check_choices(self)  # every section, also when built in Python rather than by load_config
        # "auto" settings become the head's released values here, so that the saved config.yaml says
        # what runs (docs/departures.md)
        if self.data.test_sampling == "auto":
            for key, value in released_test_sampling(self.model.head, self.data.tiou_preset).items():
                if key == "test_sampling" or getattr(self.data, key) is None:
                    setattr(self.data, key, value)
            self.data.__post_init__()
        if self.train.selection_metric == "auto":
            self.train.selection_metric = (released_selection_metric(self.model.head, self.data.tiou_preset)
                                           if self.train.selection == "test-oracle" else "average")

    def head_config(self) -> Any:
        """The head's own typed config dataclass, built from ``model.head_config``."""
        from tal_pyg.models import HEADS

        if self.model.head not in HEADS:
            raise ConfigError(f"model.head: unknown head {self.model.head!r} (one of {', '.join(HEADS)})")
        _, cfg_cls = HEADS[self.model.head]
        return from_dict(cfg_cls, self.model.head_config, "model.head_config")

    def to_dict(self) -> Dict[str, Any]:
        return to_dict(self)

    def differences(self, other: "ExperimentConfig", runtime: bool = False) -> List[str]:
        """Dotted keys whose values differ from ``other``'s; without ``runtime``, the keys of
        :data:`RUNTIME_KEYS` (how a run executes, not what it computes) are left out."""
        keys = diff_keys(self.to_dict(), other.to_dict())
        return keys if runtime else [k for k in keys if k not in RUNTIME_KEYS]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def _read_yaml(path: Path) -> Dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return data


def load_config_dict(path: str | Path, _seen: Optional[set] = None) -> Dict[str, Any]:
    """Read a YAML config with its ``base`` files merged in (no type checking yet)."""
    path = Path(path).resolve()
    seen = set() if _seen is None else _seen
    if path in seen:
        raise ConfigError(f"{path}: circular 'base' reference")
    seen = seen | {path}
    data = _read_yaml(path)
    bases = data.pop("base", []) or []
    if isinstance(bases, str):
        bases = [bases]
    merged: Dict[str, Any] = {}
    for base in bases:
        merged = merge(merged, load_config_dict(path.parent / base, seen))
    return merge(merged, data)


def load_config(
    path: Optional[str | Path] = None,
    overrides: Sequence[str] = (),
    data: Optional[Dict[str, Any]] = None,
) -> ExperimentConfig:
    """Load and check an experiment config (YAML file, or a dict), applying ``key=value`` overrides."""
    raw: Dict[str, Any] = {}
    if path is not None:
        raw = load_config_dict(path)
    if data is not None:
        raw = merge(raw, data)
    raw = apply_overrides(raw, overrides)
    where = f"{path}: " if path is not None else ""
    try:
        cfg = from_dict(ExperimentConfig, raw)
        cfg.head_config()  # validate the head section now, not at training time
    except ConfigError as e:
        raise ConfigError(f"{where}{e}") from None
    return cfg
