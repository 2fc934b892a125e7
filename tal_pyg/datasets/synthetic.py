r"""A synthetic WTAL benchmark with the structure and the difficulties of real I3D features.

The generator writes the BaS-Net layout (``features/{train,test}/{rgb,flow}/VIDEO.npy``,
``gt.json``, ``split_train.txt``, ``split_test.txt``, plus ``classes.txt`` and ``synthetic.json``
with the configuration), so the benchmark is read back by the same loader as real data::

    path = generate_synthetic("thumos-like-small", "data/synth", seed=0)
    train = WTALFeatures(path, split="train")

Same configuration and seed ⇒ byte-identical files.

Video structure
---------------
Drawn from the quantiles of the real annotation statistics (``metadata/structure_stats.json``,
WTAL training split of THUMOS'14 or ActivityNet1.2; each quantity is sampled from its
piecewise-linear empirical quantile function), or copied from a real ground-truth file:

* length ``T`` (snippets of 0.64 s) ~ ``feature_len_T`` × ``length_scale``, clipped to
  ``[min_snippets, max_snippets]``; duration ``d = (T + u) · 0.64``, ``u ~ U(0, 1)``;
* number of classes ~ ``classes_per_video_hist``; classes drawn without replacement in
  proportion to the real number of videos per class;
* ``count_mode="coverage"`` (THUMOS-like): a target action coverage ``c ~ coverage_per_video``;
  instances of length ``L ~ instance_duration_snippets`` × (class mean duration / mean over
  classes) × ``duration_scale`` are added until ``Σ L ≥ c T`` (so the count grows with ``T``,
  as in the real data); ``count_mode="sampled"`` (ActivityNet-like): ``K ~ instances_per_video``
  (at most ``max_instances``) instances share the action time ``c T`` (``c`` ≤ 0.95) with
  Dirichlet(2) proportions;
* the background ``T - Σ L`` is split into ``K + 1`` gaps with Dirichlet(``gap_concentration``)
  proportions (small concentration ⇒ heavy-tailed gaps), instance order random; segment times
  are rounded to 0.01 s and written in seconds;
* ``structure=<path to gt.json>`` or ``"thumos14-gt"`` (the packaged real THUMOS'14 annotation,
  200 train / 210 test videos) reuses real segments and durations exactly (``num_train``,
  ``num_test``, ``num_classes``, ``length_scale`` and the snippet limits are then ignored).

Snippet features
----------------
Each video has ``D`` columns: RGB = the first ``D // 2``, flow = the rest. Every stream ``h``
has its own weights (:class:`StreamStyle`: ``scale · {scene, background, action, actionness,
noise}``), written ``w^h_·`` below (a per-column vector ``w_·``). All prototype vectors are
non-negative, exponential-distributed on a random support of the given density and
normalised to unit RMS. For snippet ``t`` of video ``v`` (before smoothing)

.. math::
    z_t = w_{scene} \odot s_v
        + (1 - v_t) \odot w_{bg} \odot (\beta_{k_t} + m_{k_t} g)
        + v_t \odot (w_{act} \odot \mu_{c_t, p_t} + w_{actness} \odot g),
    \qquad v_t = a_t\, o_t,

    f_t = \max\big(0,\ \textstyle\sum_j \kappa_j z_{t+j} + n_t\, w_{noise} \odot \epsilon_t\big),
    \qquad \epsilon_t \sim \mathcal N(0, I),

* **scene** ``s_v``: per-video vector, ``class_context`` · context of the video's first class
  (classes grouped into ``num_context_groups`` shared venues) + the rest random, shared by all
  snippets of the video ⇒ high within-video cosine similarity, and background that carries
  class cues (as in real videos: a pool suggests diving);
* **background states**: ``num_background_states`` global prototypes ``β_k``; each video uses
  ``background_states_per_video`` of them in runs of mean length ``background_state_length``;
  a ``moving_background_prob`` share of the states also carries the class-agnostic motion
  vector ``g`` (``m_k = 1``: camera motion / people walking, hard negatives for actionness);
* **temporal incoherence**: an instance of class ``c`` passes through ``num_phases`` sub-action
  phases ``p`` (Dirichlet(2) phase lengths), each with its own prototype ``μ_{c,p}``; a phase is
  borrowed from a pool of ``num_shared_phases`` generic sub-actions with probability
  ``shared_phase_prob`` (e.g. a run-up shared by several jumps), so one snippet shows only a
  part of the action, and possibly a part that does not identify the class;
* ``a_t ∈ [0, 1]``: fraction of snippet ``t`` inside an instance (sub-snippet instances give
  weak evidence);
* **spatial incompleteness**: an action snippet is "easy" with probability ``easy_fraction``
  (``o_t = 1``, noise factor ``n_t = easy_noise``), otherwise a random share
  ``r_t ~ U(occlusion)`` of its feature dimensions is occluded (``o_t`` ∈ {0,1}^D, Bernoulli
  ``1 - r_t``) and ``n_t = 1``; occluded dimensions keep showing the background;
* **temporal smoothing**: ``κ`` = normalised Gaussian kernel with ``smoothing_sigma`` snippets
  (I3D's receptive field covers several snippets), edge-padded;
* non-negative output (ReLU), stored as float32.

The difficulty knobs are the fields of :class:`SyntheticConfig` (and :class:`StreamStyle`);
they are recorded in ``synthetic.json``. :data:`SYNTHETIC_PRESETS` holds ``thumos-like``,
``thumos-like-small`` and ``anet-like``.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from tal_pyg.datasets.annotations import default_subset_aliases, load_activitynet_json, split_matches
from tal_pyg.datasets.metadata import class_names as packaged_class_names
from tal_pyg.datasets.metadata import metadata_path, structure_stats

PathLike = Union[str, "os.PathLike[str]"]

GENERATOR_VERSION = 1
SNIPPET_SECONDS = 16.0 / 25.0
_QUANTILE_KEYS = (("min", 0.0), ("p5", 0.05), ("p10", 0.10), ("p25", 0.25), ("p50", 0.5),
                  ("p75", 0.75), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))


@dataclass(frozen=True)
class StreamStyle:
    """Per-stream (RGB or flow) weights of the feature components (see the module docstring)."""

    scale: float = 1.0
    scene: float = 1.0
    background: float = 0.5
    action: float = 0.6
    actionness: float = 0.2
    noise: float = 0.3


@dataclass(frozen=True)
class SyntheticConfig:
    """All knobs of the synthetic benchmark (see the module docstring for their meaning)."""

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
    smoothing_sigma: float = 1.0
    rgb: StreamStyle = StreamStyle(scale=1.0, scene=1.0, background=0.45, action=0.6, actionness=0.15, noise=0.6)
    flow: StreamStyle = StreamStyle(scale=0.8, scene=0.35, background=0.35, action=0.9, actionness=0.45, noise=0.7)

    def __post_init__(self) -> None:
        if self.feature_dim < 2:
            raise ValueError("feature_dim must be at least 2 (RGB and flow halves)")
        if self.num_train < 0 or self.num_test < 0:
            raise ValueError("num_train and num_test must be non-negative")
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


# ------------------------------------------------------------------------------------------------
# video structure
@dataclass
class _Video:
    name: str
    split: str
    num_snippets: int
    duration: float
    segments: List[Tuple[float, float, int]] = field(default_factory=list)  # seconds, class id
    classes: List[int] = field(default_factory=list)


def _quantile_sampler(q: Dict[str, float]):
    xs = np.array([p for _, p in _QUANTILE_KEYS])
    ys = np.array([float(q[k]) for k, _ in _QUANTILE_KEYS])

    def sample(rng: np.random.Generator, size: Optional[int] = None):
        return np.interp(rng.random(size), xs, ys)

    return sample


def _seq(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=tuple(key))))


def _resolve_classes(cfg: SyntheticConfig) -> List[str]:
    if cfg.class_names is not None:
        names = list(cfg.class_names)
        if len(names) != cfg.num_classes:
            raise ValueError(f"class_names has {len(names)} names but num_classes={cfg.num_classes}")
        return names
    for ds in ("thumos14", "activitynet12"):
        real = packaged_class_names(ds)
        if len(real) == cfg.num_classes:
            return real
    return [f"class_{i:03d}" for i in range(cfg.num_classes)]


def _stats_structure(cfg: SyntheticConfig, seed: int, classes: List[str]) -> List[_Video]:
    key = cfg.structure
    st = structure_stats()
    if key not in ("thumos14", "activitynet12"):
        raise ValueError(f"unknown structure {key!r}")
    s = st[key]
    per_class = st[f"{key}_per_class"]
    # class weights / duration ratios: matched by name where possible, else uniform
    vids = np.array([per_class[c]["videos"] if c in per_class else np.nan for c in classes], dtype=float)
    durs = np.array([per_class[c]["mean_dur_s"] if c in per_class else np.nan for c in classes], dtype=float)
    if np.isnan(vids).any():
        vids = np.ones(len(classes))
        durs = np.ones(len(classes))
    class_p = vids / vids.sum()
    # class-specific duration factor: damped (the pooled quantiles already hold the between-class
    # spread) and normalised to geometric mean 1 under the class frequencies (keeps the median)
    dur_ratio = np.sqrt(durs) / float(np.exp(np.sum(class_p * np.log(np.sqrt(durs)))))
    hist = {int(k): v for k, v in s["classes_per_video_hist"].items()}
    n_choices = np.array(sorted(hist))
    n_p = np.array([hist[k] for k in n_choices], dtype=float)
    n_p /= n_p.sum()
    sample_T = _quantile_sampler(s["feature_len_T"])
    sample_cov = _quantile_sampler(s["coverage_per_video"])
    sample_len = _quantile_sampler(s["instance_duration_snippets"])
    sample_k = _quantile_sampler(s["instances_per_video"])
    videos: List[_Video] = []
    for split_id, (split, count) in enumerate((("train", cfg.num_train), ("test", cfg.num_test))):
        for i in range(count):
            rng = _seq(seed, 1, split_id, i)
            T = int(round(float(sample_T(rng)) * cfg.length_scale))
            T = max(cfg.min_snippets, T if cfg.max_snippets is None else min(T, cfg.max_snippets))
            duration = round((T + float(rng.uniform(0.05, 0.95))) * SNIPPET_SECONDS, 3)
            n_cls = int(min(rng.choice(n_choices, p=n_p), len(classes)))
            vclasses = [int(c) for c in rng.choice(len(classes), size=n_cls, replace=False, p=class_p)]
            lengths: List[float] = []
            inst_classes: List[int] = []
            if cfg.count_mode == "coverage":
                budget = float(sample_cov(rng)) * T
                while (not lengths or sum(lengths) < budget) and len(lengths) < cfg.max_instances:
                    room = 0.95 * T - sum(lengths)
                    if room < 0.3:
                        break
                    j = len(lengths)
                    c = vclasses[j] if j < n_cls else vclasses[int(rng.integers(n_cls))]
                    L = float(sample_len(rng)) * float(dur_ratio[c]) * cfg.duration_scale
                    lengths.append(min(max(L, 0.3), room))
                    inst_classes.append(c)
            else:
                k = int(np.clip(round(float(sample_k(rng))), 1, cfg.max_instances))
                k = max(k, n_cls)
                cover = min(0.95, max(float(sample_cov(rng)), 0.3 * k / T))
                rel = cover * rng.dirichlet(np.full(k, 2.0)) if k > 1 else np.array([cover])
                lengths = [max(float(r) * T, 0.3) for r in rel]
                inst_classes = [vclasses[j] if j < n_cls else vclasses[int(rng.integers(n_cls))] for j in range(k)]
            k = len(lengths)
            order = rng.permutation(k)
            gaps = rng.dirichlet(np.full(k + 1, cfg.gap_concentration)) * (T - sum(lengths))
            pos = float(gaps[0])
            segs = []
            for j, g in zip(order, gaps[1:]):
                s, e = pos, pos + lengths[j]
                segs.append((round(s * SNIPPET_SECONDS, 2), round(e * SNIPPET_SECONDS, 2), inst_classes[j]))
                pos = e + float(g)
            name = f"synth_{split}_{i + 1:05d}"
            videos.append(_Video(name, split, T, duration, segs, sorted(set(inst_classes))))
    return videos


def _gt_structure(cfg: SyntheticConfig, classes: List[str]) -> Tuple[List[_Video], List[str]]:
    if cfg.structure == "thumos14-gt":
        path = metadata_path("thumos14", "gt.json")
        names = {"train": set(metadata_path("thumos14", "split_train.txt").read_text().split()),
                 "test": set(metadata_path("thumos14", "split_test.txt").read_text().split())}
    else:
        path = Path(cfg.structure)
        names = None
    ann = load_activitynet_json(path)
    labels = sorted({lab for a in ann.values() for _, _, lab in a.instances})
    if not set(labels) <= set(classes):
        classes = labels
    cid = {c: i for i, c in enumerate(classes)}
    aliases = default_subset_aliases(a.subset for a in ann.values())
    videos: List[_Video] = []
    for split in ("train", "test"):
        for v in sorted(ann):
            a = ann[v]
            inside = (v in names[split]) if names is not None else split_matches(a.subset, split, aliases)
            if not inside:
                continue
            end = max([e for _, e, _ in a.instances], default=0.0)
            duration = a.duration if a.duration is not None else (math.ceil(end / SNIPPET_SECONDS) + 8) * SNIPPET_SECONDS
            T = max(1, int(math.floor(duration / SNIPPET_SECONDS + 1e-9)))
            segs = [(s, e, cid[lab]) for s, e, lab in a.instances]
            videos.append(_Video(v, split, T, float(duration), segs, sorted({c for _, _, c in segs})))
    return videos, classes


# ------------------------------------------------------------------------------------------------
# appearance
def _prototypes(rng: np.random.Generator, n: int, dim: int, density: float) -> np.ndarray:
    """``n`` non-negative vectors: exponential values on a random support, unit RMS."""
    v = rng.exponential(1.0, size=(n, dim)).astype(np.float32)
    if density < 1.0:
        support = rng.random((n, dim)) < density
        empty = ~support.any(axis=1)
        support[empty, rng.integers(dim, size=int(empty.sum()))] = True
        v *= support
    v /= np.sqrt(np.mean(v * v, axis=1, keepdims=True))
    return v


def _unit_rms(v: np.ndarray) -> np.ndarray:
    return v / np.sqrt(np.mean(v * v, axis=-1, keepdims=True))


@dataclass
class _World:
    context: np.ndarray        # [C, D]
    phases: np.ndarray         # [C, P, D]
    motion: np.ndarray         # [D]
    background: np.ndarray     # [K, D]
    moving: np.ndarray         # [K] bool
    w: Dict[str, np.ndarray]   # per-column weights


def _make_world(cfg: SyntheticConfig, seed: int) -> _World:
    rng = _seq(seed, 0)
    D, C, P = cfg.feature_dim, cfg.num_classes, cfg.num_phases
    groups = _prototypes(rng, max(1, cfg.num_context_groups), D, 1.0)
    own = _prototypes(rng, C, D, 1.0)
    group_of = rng.integers(groups.shape[0], size=C)
    context = _unit_rms(0.5 * groups[group_of] + 0.5 * own)
    shared = _prototypes(rng, max(1, cfg.num_shared_phases), D, cfg.prototype_density)
    phases = _prototypes(rng, C * P, D, cfg.prototype_density).reshape(C, P, D)
    use_shared = rng.random((C, P)) < cfg.shared_phase_prob
    pick = rng.integers(shared.shape[0], size=(C, P))
    phases[use_shared] = shared[pick[use_shared]]
    motion = _prototypes(rng, 1, D, 0.3)[0]
    background = _prototypes(rng, max(1, cfg.num_background_states), D, 0.5)
    moving = rng.random(background.shape[0]) < cfg.moving_background_prob
    d_rgb = D // 2

    def col(attr: str) -> np.ndarray:
        out = np.empty(D, dtype=np.float32)
        out[:d_rgb] = getattr(cfg.rgb, attr) * cfg.rgb.scale
        out[d_rgb:] = getattr(cfg.flow, attr) * cfg.flow.scale
        return out

    w = {k: col(k) for k in ("scene", "background", "action", "actionness", "noise")}
    return _World(context, phases, motion, background, moving, w)


def _smooth(z: np.ndarray, sigma: float) -> np.ndarray:
    if sigma <= 0 or z.shape[0] < 2:
        return z
    r = max(1, int(math.ceil(2.5 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k = (k / k.sum()).astype(np.float32)
    zp = np.pad(z, ((r, r), (0, 0)), mode="edge")
    out = k[0] * zp[: z.shape[0]]
    for j in range(1, 2 * r + 1):
        out += k[j] * zp[j: j + z.shape[0]]
    return out


def _video_features(cfg: SyntheticConfig, world: _World, video: _Video, rng: np.random.Generator) -> np.ndarray:
    T, D = video.num_snippets, cfg.feature_dim
    w = world.w
    # scene: class context of the first class + video-specific appearance
    own = _prototypes(rng, 1, D, 1.0)[0]
    if video.classes:
        scene = _unit_rms(cfg.class_context * world.context[video.classes[0]] + (1 - cfg.class_context) * own)
    else:
        scene = own
    # action coverage a_t, class and phase of each snippet
    a = np.zeros(T, dtype=np.float32)
    cls = np.full(T, -1, dtype=np.int64)
    phase = np.zeros(T, dtype=np.int64)
    centers = np.arange(T) + 0.5
    for s_sec, e_sec, c in video.segments:
        s, e = s_sec / SNIPPET_SECONDS, min(e_sec / SNIPPET_SECONDS, T)
        if e <= s or s >= T:
            continue
        t0, t1 = int(math.floor(s)), min(T, int(math.ceil(e)))
        t = np.arange(t0, t1)
        overlap = np.clip(np.minimum(t + 1, e) - np.maximum(t, s), 0, 1).astype(np.float32)
        bounds = np.cumsum(rng.dirichlet(np.full(cfg.num_phases, 2.0)))[:-1]
        rel = np.clip((centers[t0:t1] - s) / (e - s), 0.0, 1.0)
        ph = np.searchsorted(bounds, rel, side="right")
        take = overlap > a[t0:t1]
        a[t0:t1] = np.where(take, overlap, a[t0:t1])
        cls[t0:t1] = np.where(take, c, cls[t0:t1])
        phase[t0:t1] = np.where(take, ph, phase[t0:t1])
    # background-state runs
    states = rng.choice(world.background.shape[0], size=min(cfg.background_states_per_video,
                                                            world.background.shape[0]), replace=False)
    state_of = np.empty(T, dtype=np.int64)
    t = 0
    while t < T:
        run = 1 + int(rng.geometric(1.0 / max(1.0, cfg.background_state_length)))
        state_of[t: t + run] = states[int(rng.integers(len(states)))]
        t += run
    bg = world.background[state_of] + world.moving[state_of, None] * world.motion[None, :]
    z = np.empty((T, D), dtype=np.float32)
    z[:] = w["scene"] * scene
    z += w["background"] * bg
    act = np.flatnonzero(a > 0)
    noise_factor = np.ones(T, dtype=np.float32)
    if act.size:
        easy = rng.random(act.size) < cfg.easy_fraction
        r = np.where(easy, 0.0, rng.uniform(cfg.occlusion[0], cfg.occlusion[1], act.size)).astype(np.float32)
        visible = rng.random((act.size, D), dtype=np.float32) >= r[:, None]
        signal = w["action"] * world.phases[cls[act], phase[act]] + w["actionness"] * world.motion
        # visible action dims replace the background there; occluded dims keep showing the background
        z[act] += (a[act, None] * visible) * (signal - w["background"] * bg[act])
        noise_factor[act[easy]] = cfg.easy_noise
    z = _smooth(z, cfg.smoothing_sigma)
    z += (noise_factor[:, None] * w["noise"]) * rng.standard_normal((T, D), dtype=np.float32)
    np.maximum(z, 0.0, out=z)
    return z


# ------------------------------------------------------------------------------------------------
def _resolve_config(preset: Union[str, SyntheticConfig], overrides: Dict[str, Any]) -> SyntheticConfig:
    if isinstance(preset, SyntheticConfig):
        cfg = preset
    elif preset in SYNTHETIC_PRESETS:
        cfg = SYNTHETIC_PRESETS[preset]
    else:
        raise ValueError(f"unknown synthetic preset {preset!r}; choose one of {sorted(SYNTHETIC_PRESETS)}")
    for k, v in list(overrides.items()):
        if k in ("rgb", "flow") and isinstance(v, dict):
            overrides[k] = replace(getattr(cfg, k), **v)
        elif k == "occlusion" or k == "class_names":
            overrides[k] = tuple(v) if v is not None else None
    try:
        return replace(cfg, **overrides)
    except TypeError as e:
        raise ValueError(f"bad synthetic option: {e}") from None


def build_structure(preset: Union[str, SyntheticConfig], seed: int = 0, **overrides: Any):
    """The videos (names, lengths, segments) that :func:`generate_synthetic` would write.

    Returns ``(videos, class_names)`` where each video is a small record with ``name``, ``split``,
    ``num_snippets``, ``duration`` and ``segments`` ``[(start_s, end_s, class_id)]``.
    """
    cfg = _resolve_config(preset, dict(overrides))
    classes = _resolve_classes(cfg)
    if cfg.structure in ("thumos14", "activitynet12"):
        return _stats_structure(cfg, seed, classes), classes
    return _gt_structure(cfg, classes)


def generate_synthetic(preset: Union[str, SyntheticConfig], out_dir: PathLike, seed: int = 0,
                       overwrite: bool = False, **overrides: Any) -> Path:
    """Write a synthetic WTAL dataset in the BaS-Net layout and return its folder.

    Args:
        preset: a name in :data:`SYNTHETIC_PRESETS` or a :class:`SyntheticConfig`.
        out_dir: output folder (must not exist or be empty unless ``overwrite``).
        seed: random seed; same configuration + seed ⇒ same bytes.
        overwrite: replace an existing non-empty folder.
        **overrides: fields of :class:`SyntheticConfig` to change (``rgb``/``flow`` may be dicts).

    The folder is assembled in a temporary sibling and moved into place at the end, so an
    interrupted run never leaves a half-written dataset.
    """
    cfg = _resolve_config(preset, dict(overrides))
    seed = int(seed)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"{out}: output folder exists and is not empty (pass overwrite=True / --overwrite)")
    classes = _resolve_classes(cfg)
    if cfg.structure in ("thumos14", "activitynet12"):
        videos = _stats_structure(cfg, seed, classes)
    else:
        videos, classes = _gt_structure(cfg, classes)
        if len(classes) != cfg.num_classes:
            cfg = replace(cfg, num_classes=len(classes), class_names=tuple(classes))
    world = _make_world(cfg, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        d_rgb = cfg.feature_dim // 2
        for split in ("train", "test"):
            for s in ("rgb", "flow"):
                (tmp / "features" / split / s).mkdir(parents=True, exist_ok=True)
        counters = {"train": 0, "test": 0}
        for v in videos:
            split_id = 0 if v.split == "train" else 1
            rng = _seq(seed, 2, split_id, counters[v.split])
            counters[v.split] += 1
            f = _video_features(cfg, world, v, rng)
            np.save(tmp / "features" / v.split / "rgb" / f"{v.name}.npy", np.ascontiguousarray(f[:, :d_rgb]))
            np.save(tmp / "features" / v.split / "flow" / f"{v.name}.npy", np.ascontiguousarray(f[:, d_rgb:]))
        db = {}
        for v in videos:
            db[v.name] = {"subset": v.split, "duration": v.duration,
                          "annotations": [{"segment": [s, e], "label": classes[c]} for s, e, c in v.segments]}
        (tmp / "gt.json").write_text(json.dumps({"database": db}, sort_keys=True) + "\n", encoding="utf-8")
        for split in ("train", "test"):
            names = [v.name for v in videos if v.split == split]
            (tmp / f"split_{split}.txt").write_text("".join(n + "\n" for n in names), encoding="utf-8")
        (tmp / "classes.txt").write_text("".join(c + "\n" for c in classes), encoding="utf-8")
        meta = {
            "generator": "tal_pyg.datasets.synthetic",
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "config": asdict(cfg),
            "summary": summarize_structure(videos),
        }
        (tmp / "synthetic.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        if out.exists():
            if overwrite and any(out.iterdir()):
                shutil.rmtree(out)
            else:
                out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def summarize_structure(videos: Sequence[_Video]) -> Dict[str, Any]:
    """Counts and medians of the generated structure (written to ``synthetic.json``)."""
    out: Dict[str, Any] = {}
    for split in ("train", "test"):
        vs = [v for v in videos if v.split == split]
        if not vs:
            continue
        T = np.array([v.num_snippets for v in vs])
        k = np.array([len(v.segments) for v in vs])
        lens = np.array([(e - s) / SNIPPET_SECONDS for v in vs for s, e, _ in v.segments])
        cov = np.array([sum(e - s for s, e, _ in v.segments) / v.duration for v in vs])
        out[split] = {
            "videos": len(vs),
            "snippets": int(T.sum()),
            "T_median": float(np.median(T)), "T_max": int(T.max()),
            "instances": int(k.sum()), "instances_per_video_median": float(np.median(k)),
            "instance_snippets_median": float(np.median(lens)) if lens.size else 0.0,
            "coverage_median": round(float(np.median(cov)), 4),
            "multi_class_videos": int(sum(len(v.classes) > 1 for v in vs)),
        }
    return out
