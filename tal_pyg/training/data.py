"""Datasets and batches for training and evaluation, built from a :class:`~tal_pyg.config.DataConfig`.

The training videos are split once, by the seed, into a training part and a validation part
(``data.val_fraction``) used for model selection; the test split is only touched by the final evaluation
(or by the explicitly named ``test-oracle`` selection protocol).

Batches are drawn from a seeded permutation (its position is part of the checkpoint), and the random
sampling of each training video is seeded by (seed, iteration, position in the global batch), so a run
gives the same batches whether it runs in one process, in several (DDP), or resumed after an interruption.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import torch

from tal_pyg.config.experiment import SYNTHETIC_PRESET_OF, DataConfig
from tal_pyg.training.reproducibility import isolated_rng


def default_cache_dir() -> Path:
    """``$TAL_PYG_CACHE`` or ``~/.cache/tal_pyg``."""
    return Path(os.environ.get("TAL_PYG_CACHE", Path.home() / ".cache" / "tal_pyg"))


def synthetic_root(cfg: DataConfig) -> Path:
    """``data.root``, or the cache folder of the preset and seed; a variant (``data.synthetic_options``) gets a
    folder of its own, named by a hash of its options."""
    preset = SYNTHETIC_PRESET_OF[cfg.dataset]
    if cfg.root:
        return Path(cfg.root).expanduser()
    name = f"{preset}-seed{cfg.synthetic_seed}"
    if cfg.synthetic_options:
        import hashlib
        import json

        key = json.dumps(cfg.synthetic_options, sort_keys=True, default=list).encode()
        name += "-" + hashlib.sha256(key).hexdigest()[:10]
    return default_cache_dir() / "synthetic" / name


def ensure_synthetic(cfg: DataConfig, log: Any = print) -> Path:
    """Generate the synthetic benchmark into its cache folder on first use, or again when the cached copy
    was made by another generator version or preset definition; return the folder."""
    import json
    from dataclasses import asdict

    from tal_pyg.datasets import generate_synthetic
    from tal_pyg.datasets.synthetic import GENERATOR_VERSION, SyntheticConfig

    root = synthetic_root(cfg)
    preset = SYNTHETIC_PRESET_OF[cfg.dataset]
    synth = cfg.synthetic_config()
    expected = {"config": json.loads(json.dumps(asdict(synth))), "generator_version": GENERATOR_VERSION,
                "seed": cfg.synthetic_seed}
    what = f"'{preset}'" + (f" with {cfg.synthetic_options}" if cfg.synthetic_options else "")
    meta_path = root / "synthetic.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        # a copy written before a knob existed was made with the knob's default value
        defaults = json.loads(json.dumps(asdict(SyntheticConfig())))
        if isinstance(meta.get("config"), dict):
            meta["config"] = {**{k: v for k, v in defaults.items() if k not in meta["config"]}, **meta["config"]}
        if all(meta.get(k) == v for k, v in expected.items()):
            return root
        if cfg.root:  # a folder the user named: never overwritten
            log(f"warning: {root} was generated with another definition of {what} (seed or generator "
                "version differ); using it as it is")
            return root
        log(f"the cached synthetic benchmark in {root} was made by another preset definition: regenerating")
    log(f"generating the synthetic benchmark {what} (seed {cfg.synthetic_seed}) into {root} ...")
    generate_synthetic(synth, root, seed=cfg.synthetic_seed, overwrite=True)
    return root


def open_split(cfg: DataConfig, split: str, log: Any = print, **options: Any):
    """The raw (un-sampled) dataset of one split; ``options`` override the dataset arguments taken from
    ``cfg`` (e.g. ``validate="full"``)."""
    from tal_pyg.datasets import ActivityNet12, Thumos14, WTALFeatures

    common: Dict[str, Any] = dict(split=split, layout=cfg.layout, modality=cfg.modality, on_error=cfg.on_error,
                  trust_pickle=cfg.trust_pickle, cache_bytes=cfg.cache_mb * 2**20)
    common.update(options)
    if cfg.dataset in SYNTHETIC_PRESET_OF:
        root = ensure_synthetic(cfg, log)
        return WTALFeatures(root, **common)
    if cfg.root is None:
        raise ValueError(f"data.root: the folder of the {cfg.dataset} features is required")
    if cfg.dataset == "thumos14":
        return Thumos14(cfg.root, **common)
    if cfg.dataset == "activitynet12":
        return ActivityNet12(cfg.root, **common)
    kwargs: Dict[str, Any] = dict(common)
    if cfg.ground_truth:
        kwargs["annotation_file"] = cfg.ground_truth
    if cfg.class_names:
        kwargs["class_names"] = cfg.class_names
    return WTALFeatures(cfg.root, **kwargs)


def split_train_val(n: int, val_fraction: float, seed: int) -> tuple[List[int], List[int]]:
    """Deterministic split of ``n`` training videos into (train, validation) index lists."""
    if val_fraction <= 0 or n < 2:
        return list(range(n)), []
    g = torch.Generator().manual_seed(seed + 7919)
    perm = torch.randperm(n, generator=g).tolist()
    n_val = min(max(1, int(round(n * val_fraction))), n - 1)
    return sorted(perm[n_val:]), sorted(perm[:n_val])


def tiou_thresholds(cfg: DataConfig) -> np.ndarray:
    from tal_pyg.evaluation import TIOU_PRESETS

    if cfg.tiou_thresholds:
        return np.asarray(cfg.tiou_thresholds, dtype=np.float64)
    if cfg.tiou_preset not in TIOU_PRESETS:
        raise ValueError(f"data.tiou_preset: unknown preset {cfg.tiou_preset!r} (one of {', '.join(TIOU_PRESETS)})")
    return np.asarray(TIOU_PRESETS[cfg.tiou_preset], dtype=np.float64)


def subset_ground_truth(ground_truth: Dict[str, Any], videos: Sequence[str]) -> Dict[str, Any]:
    """The ActivityNet-format ground truth restricted to ``videos``."""
    db = ground_truth["database"]
    return {"database": {v: db[v] for v in videos if v in db}}


@dataclass
class BatchSampler:
    """Seeded epoch permutations over ``n`` items; the state is (generator, permutation, position)."""

    n: int
    batch_size: int
    seed: int

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("the training split has no videos")
        self.generator = torch.Generator().manual_seed(self.seed)
        self.perm: List[int] = []
        self.pos = 0

    def next_batch(self) -> List[int]:
        out: List[int] = []
        while len(out) < self.batch_size:
            if self.pos >= len(self.perm):
                self.perm = torch.randperm(self.n, generator=self.generator).tolist()
                self.pos = 0
            take = min(self.batch_size - len(out), len(self.perm) - self.pos)
            out.extend(self.perm[self.pos:self.pos + take])
            self.pos += take
        return out

    def state_dict(self) -> Dict[str, Any]:
        return {"generator": self.generator.get_state(), "perm": torch.tensor(self.perm, dtype=torch.long),
                "pos": self.pos}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.perm = state["perm"].tolist()
        self.pos = int(state["pos"])


def sample_training_batch(dataset, indices: Sequence[int], positions: Sequence[int], transform, seed: int,
                          iteration: int) -> List[Any]:
    """Load and randomly sample the videos ``indices``; the video at ``positions[k]`` of the global batch
    is sampled with a generator seeded by (seed, iteration, position)."""
    out = []
    for i, pos in zip(indices, positions):
        data = dataset[int(i)]
        with isolated_rng(_mix(seed, iteration, pos)):
            out.append(transform(data))
    return out


def _mix(*values: int) -> int:
    h = 1469598103934665603
    for v in values:
        h = ((h ^ (int(v) & 0xFFFFFFFFFFFFFFFF)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h % (2**63 - 1)


def eval_transform(cfg: DataConfig, head: str | None = None):
    """Test-time sampling of ``cfg.test_sampling`` (docs/departures.md): ``uniform`` to ``N`` steps
    (BaS-Net), ``cap`` = every snippet up to ``N`` (UM/BaM), ``clamp`` to ``min(max(L, N_min), N)``
    (DGAM), ``all`` (``None``: no transform); ``N = test_num_segments`` (default ``num_segments``).
    ``auto`` (a DataConfig outside an ExperimentConfig) needs ``head`` to pick the released rule."""
    from tal_pyg.config.experiment import released_test_sampling
    from tal_pyg.transforms import AllSnippets, ClampedUniformSampling, UniformSampling

    rule, n_min, n = cfg.test_sampling, cfg.test_min_segments, cfg.test_num_segments
    if rule == "auto":
        if head is None:
            raise ValueError("data.test_sampling is 'auto': pass the head (eval_transform(cfg, head)) or build "
                             "the config through ExperimentConfig, which fills in the head's rule")
        released = released_test_sampling(head, cfg.tiou_preset)
        rule = released["test_sampling"]
        n_min = n_min or released.get("test_min_segments")
        n = n or released.get("test_num_segments")
    n = n or cfg.num_segments
    if rule == "all":
        return _scaled(None, cfg)
    if rule == "cap":
        return _scaled(AllSnippets(max_snippets=n), cfg)
    if rule == "clamp":
        return _scaled(ClampedUniformSampling(n_min or 1, n), cfg)
    return _scaled(UniformSampling(n), cfg)


def train_transform(cfg: DataConfig):
    from tal_pyg.transforms import RandomPerturbedSampling

    return _scaled(RandomPerturbedSampling(cfg.num_segments), cfg)


def _scaled(sampling, cfg: DataConfig):
    """``sampling`` followed by :class:`~tal_pyg.transforms.ScaleFeatures` when ``data.feature_scale != 1``."""
    if cfg.feature_scale == 1.0:
        return sampling
    from torch_geometric.transforms import Compose

    from tal_pyg.transforms import ScaleFeatures

    scale = ScaleFeatures(cfg.feature_scale)
    return scale if sampling is None else Compose([sampling, scale])


def load_items(dataset, indices: Sequence[int], transform) -> List[Any]:
    items = []
    for i in indices:
        data = dataset[int(i)]
        items.append(transform(data) if transform is not None else data)
    return items
