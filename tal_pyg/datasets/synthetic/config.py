"""Configuration of the synthetic benchmark: the knobs (:class:`SyntheticConfig`, :class:`StreamStyle`), the
calibrated presets (:data:`SYNTHETIC_PRESETS`) and the seeded random streams of the generator."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

SNIPPET_SECONDS = 16.0 / 25.0


@dataclass(frozen=True)
class StreamStyle:
    """Per-stream (RGB or flow) weights of the feature components (see :mod:`tal_pyg.datasets.synthetic`)."""

    scale: float = 1.0
    scene: float = 1.0
    background: float = 0.5
    action: float = 0.6
    actionness: float = 0.2
    noise: float = 0.3


@dataclass(frozen=True)
class SyntheticConfig:
    """All knobs of the synthetic benchmark (see :mod:`tal_pyg.datasets.synthetic` for their meaning)."""

    name: str = "custom"
    num_train: int = 200
    num_test: int = 210
    feature_dim: int = 2048
    num_classes: int = 20
    class_names: Optional[Tuple[str, ...]] = None
    # --- video structure
    structure: str = "thumos14"          # "thumos14" | "activitynet12" | "thumos14-gt" | path to gt.json
    count_mode: str = "coverage"         # "coverage" (THUMOS-like) | "sampled" (ActivityNet-like)
    length_scale: float = 1.0
    min_snippets: int = 16
    max_snippets: Optional[int] = None
    duration_scale: float = 1.0
    max_instances: int = 128
    gap_concentration: float = 0.7
    # --- appearance
    num_phases: int = 4
    shared_phase_prob: float = 0.25
    num_shared_phases: int = 8
    prototype_density: float = 0.25
    num_context_groups: int = 6
    class_context: float = 0.5
    num_background_states: int = 8
    background_states_per_video: int = 3
    background_state_length: float = 12.0
    moving_background_prob: float = 0.25
    easy_fraction: float = 0.2
    easy_noise: float = 0.5
    occlusion: Tuple[float, float] = (0.5, 0.95)
    # what one draw of the snippet's hardness (easy or not, the occlusion share and mask) covers: "snippet"
    # (every action snippet on its own) or "instance" (all snippets of an action instance share one draw)
    difficulty_scope: str = "snippet"
    smoothing_sigma: float = 1.0
    rgb: StreamStyle = StreamStyle(scale=1.0, scene=1.0, background=0.45, action=0.6, actionness=0.15, noise=0.6)
    flow: StreamStyle = StreamStyle(scale=0.8, scene=0.35, background=0.35, action=0.9, actionness=0.45, noise=0.7)

    def __post_init__(self) -> None:
        if self.feature_dim < 2:
            raise ValueError("feature_dim must be at least 2 (RGB and flow halves)")
        if self.num_train < 0 or self.num_test < 0:
            raise ValueError("num_train and num_test must be non-negative")
        if self.difficulty_scope not in ("snippet", "instance"):
            raise ValueError(f"difficulty_scope must be 'snippet' or 'instance', got {self.difficulty_scope!r}")
        if self.count_mode not in ("coverage", "sampled"):
            raise ValueError(f"count_mode must be 'coverage' or 'sampled', got {self.count_mode!r}")
        lo, hi = self.occlusion
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"occlusion must satisfy 0 <= lo <= hi <= 1, got {self.occlusion}")
        for name in ("easy_fraction", "shared_phase_prob", "class_context", "moving_background_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if self.num_phases < 1 or self.min_snippets < 1:
            raise ValueError("num_phases and min_snippets must be >= 1")


#: Difficulty knobs calibrated on the BaS-Net baseline (datasets/SYNTHETIC.md, "Calibration"; log in
#: experiments/results/calibration.json): with these values BaS-Net (experiments/configs/
#: synthetic-small_basnet.yaml) scores a test mAP@0.5 of ~21 % on ``thumos-like-small`` (target 20-35 %).
#: The same values are applied to every preset; the field defaults of :class:`SyntheticConfig` are the
#: uncalibrated starting point (far too hard: BaS-Net mAP@0.5 ~ 3 %).
CALIBRATED_KNOBS: Dict[str, Any] = dict(
    occlusion=(0.1, 0.5), easy_fraction=0.5, moving_background_prob=0.1, class_context=0.25,
    shared_phase_prob=0.1,
    rgb=StreamStyle(scale=1.0, scene=1.0, background=0.45, action=0.6, actionness=0.15, noise=0.3),
    flow=StreamStyle(scale=0.8, scene=0.35, background=0.35, action=0.9, actionness=0.45, noise=0.35),
)

SYNTHETIC_PRESETS: Dict[str, SyntheticConfig] = {
    # THUMOS'14-sized: 200 / 210 videos, real length distribution, D = 2048 (~1.1 GB).
    "thumos-like": SyntheticConfig(name="thumos-like", num_train=200, num_test=210, feature_dim=2048,
                                   **CALIBRATED_KNOBS),
    # CPU-sized demo: shorter videos, D = 256 (~40 MB), same temporal statistics otherwise. 200 training
    # videos (as THUMOS'14) so that every class has training videos (with 100, seed 0 drew a class that
    # only occurs in the test split).
    "thumos-like-small": SyntheticConfig(
        name="thumos-like-small", num_train=200, num_test=100, feature_dim=256,
        length_scale=0.4, min_snippets=24, max_snippets=320, **CALIBRATED_KNOBS),
    # ActivityNet1.2-like: 100 classes, 1-2 long instances per video.
    "anet-like": SyntheticConfig(
        name="anet-like", num_train=1000, num_test=500, feature_dim=2048, num_classes=100,
        structure="activitynet12", count_mode="sampled", max_instances=2, min_snippets=16,
        **CALIBRATED_KNOBS),
    # CPU-sized ActivityNet1.2-like: 100 classes, 1-2 long instances, D = 256, 600 / 300 videos
    # (the Table 2 analogue on a 2-core machine; the knobs are the THUMOS-calibrated ones, not re-calibrated).
    "anet-like-small": SyntheticConfig(
        name="anet-like-small", num_train=600, num_test=300, feature_dim=256, num_classes=100,
        structure="activitynet12", count_mode="sampled", max_instances=2, min_snippets=16,
        length_scale=0.5, max_snippets=320, **CALIBRATED_KNOBS),
}


def rng_stream(seed: int, *key: int) -> np.random.Generator:
    """The random stream of one part of the generation, independent of every other part: ``(0,)`` the
    prototypes (the "world"), ``(1, split, i)`` the structure and ``(2, split, i)`` the features of video
    ``i`` of ``split`` (0 = train, 1 = test)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=tuple(key))))


def resolve_config(preset: Union[str, SyntheticConfig], overrides: Dict[str, Any]) -> SyntheticConfig:
    """A preset name or a :class:`SyntheticConfig`, with ``overrides`` (``rgb``/``flow`` may be dicts)."""
    if isinstance(preset, SyntheticConfig):
        cfg = preset
    elif preset in SYNTHETIC_PRESETS:
        cfg = SYNTHETIC_PRESETS[preset]
    else:
        raise ValueError(f"unknown synthetic preset {preset!r}; choose one of {sorted(SYNTHETIC_PRESETS)}")
    unknown = sorted(set(overrides) - {f.name for f in fields(SyntheticConfig)})
    if unknown:
        raise ValueError(f"bad synthetic option(s) {', '.join(map(repr, unknown))}: not a field of SyntheticConfig "
                         f"(its fields: {', '.join(f.name for f in fields(SyntheticConfig))})")
    for k, v in list(overrides.items()):
        if k in ("rgb", "flow") and isinstance(v, dict):
            overrides[k] = replace(getattr(cfg, k), **v)
        elif k == "occlusion" or k == "class_names":
            overrides[k] = tuple(v) if v is not None else None
    try:
        return replace(cfg, **overrides)
    except TypeError as e:
        raise ValueError(f"bad synthetic option: {e}") from None
