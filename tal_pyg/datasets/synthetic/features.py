"""Snippet features of the synthetic benchmark (the formula is in :mod:`tal_pyg.datasets.synthetic`)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from tal_pyg.datasets.synthetic.config import SNIPPET_SECONDS, SyntheticConfig, rng_stream
from tal_pyg.datasets.synthetic.structure import SyntheticVideo
from tal_pyg.postprocess.smoothing import gaussian_smooth_1d


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
class World:
    """The prototypes shared by all videos of one benchmark (drawn from ``rng_stream(seed, 0)``)."""

    context: np.ndarray        # [C, D]
    phases: np.ndarray         # [C, P, D]
    motion: np.ndarray         # [D]
    background: np.ndarray     # [K, D]
    moving: np.ndarray         # [K] bool
    w: Dict[str, np.ndarray]   # per-column weights


def make_world(cfg: SyntheticConfig, seed: int) -> World:
    rng = rng_stream(seed, 0)
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
    return World(context, phases, motion, background, moving, w)


def _smooth(z: np.ndarray, sigma: float) -> np.ndarray:
    """The temporal smoothing ``κ``: radius ``ceil(2.5 σ)``, edge-padded, float32."""
    if sigma <= 0 or z.shape[0] < 2:
        return z
    return gaussian_smooth_1d(z, sigma, axis=0, mode="nearest", radius=max(1, int(math.ceil(2.5 * sigma))),
                              dtype=np.float32)


def snippet_hardness(cfg: SyntheticConfig, instance: np.ndarray, dim: int,
                     rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """The spatial incompleteness of ``A`` action snippets (``instance``: [A], the instance each belongs to):
    ``easy`` [A] bool (``o_t = 1``) and ``visible`` [A, D] bool (``o_t``: not occluded, Bernoulli ``1 - r_t``,
    ``r_t ~ U(occlusion)``, 0 when easy). ``difficulty_scope="instance"`` draws them once per instance, so every
    snippet of an instance is occluded in the same dimensions; ``"snippet"`` draws every snippet on its own."""
    if cfg.difficulty_scope == "snippet":
        return _draw_hardness(cfg, instance.size, dim, rng)
    ids, of = np.unique(instance, return_inverse=True)
    easy, visible = _draw_hardness(cfg, ids.size, dim, rng)
    return easy[of], visible[of]


def _draw_hardness(cfg: SyntheticConfig, n: int, dim: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    easy = rng.random(n) < cfg.easy_fraction
    r = np.where(easy, 0.0, rng.uniform(cfg.occlusion[0], cfg.occlusion[1], n)).astype(np.float32)
    visible = rng.random((n, dim), dtype=np.float32) >= r[:, None]
    return easy, visible


def video_features(cfg: SyntheticConfig, world: World, video: SyntheticVideo, rng: np.random.Generator) -> np.ndarray:
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
    instance = np.full(T, -1, dtype=np.int64)
    centers = np.arange(T) + 0.5
    for n, (s_sec, e_sec, c) in enumerate(video.segments):
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
        instance[t0:t1] = np.where(take, n, instance[t0:t1])
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
        easy, visible = snippet_hardness(cfg, instance[act], D, rng)
        signal = w["action"] * world.phases[cls[act], phase[act]] + w["actionness"] * world.motion
        # visible action dims replace the background there; occluded dims keep showing the background
        z[act] += (a[act, None] * visible) * (signal - w["background"] * bg[act])
        noise_factor[act[easy]] = cfg.easy_noise
    z = _smooth(z, cfg.smoothing_sigma)
    z += (noise_factor[:, None] * w["noise"]) * rng.standard_normal((T, D), dtype=np.float32)
    np.maximum(z, 0.0, out=z)
    return z
