"""Video structure of the synthetic benchmark: lengths, classes and segments drawn from the real annotation
statistics, or copied from a real ground-truth file (see :mod:`tal_pyg.datasets.synthetic`)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from tal_pyg.datasets.annotations import default_subset_aliases, load_activitynet_json, split_matches
from tal_pyg.datasets.metadata import class_names as packaged_class_names
from tal_pyg.datasets.metadata import metadata_path, structure_stats
from tal_pyg.datasets.synthetic.config import SNIPPET_SECONDS, SyntheticConfig, resolve_config, rng_stream

_QUANTILE_KEYS = (("min", 0.0), ("p5", 0.05), ("p10", 0.10), ("p25", 0.25), ("p50", 0.5),
                  ("p75", 0.75), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))


@dataclass
class SyntheticVideo:
    """The generator's plan of one video: name, split, length in snippets, duration (s), segments
    ``[(start_s, end_s, class_id)]`` and its classes (sorted), from which :mod:`.features` draws the
    features. Not an annotation type: the writer stores the annotation in ``gt.json``, which the datasets
    read back as :class:`~tal_pyg.datasets.annotations.VideoAnnotation`."""

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


def _stats_structure(cfg: SyntheticConfig, seed: int, classes: List[str]) -> List[SyntheticVideo]:
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
    videos: List[SyntheticVideo] = []
    for split_id, (split, count) in enumerate((("train", cfg.num_train), ("test", cfg.num_test))):
        for i in range(count):
            rng = rng_stream(seed, 1, split_id, i)
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
            videos.append(SyntheticVideo(name, split, T, duration, segs, sorted(set(inst_classes))))
    return videos


def _gt_structure(cfg: SyntheticConfig, classes: List[str]) -> Tuple[List[SyntheticVideo], List[str]]:
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
    videos: List[SyntheticVideo] = []
    for split in ("train", "test"):
        for v in sorted(ann):
            a = ann[v]
            inside = (v in names[split]) if names is not None else split_matches(a.subset, split, aliases)
            if not inside:
                continue
            end = max([e for _, e, _ in a.instances], default=0.0)
            duration = (a.duration if a.duration is not None
                        else (math.ceil(end / SNIPPET_SECONDS) + 8) * SNIPPET_SECONDS)
            T = max(1, int(math.floor(duration / SNIPPET_SECONDS + 1e-9)))
            segs = [(s, e, cid[lab]) for s, e, lab in a.instances]
            videos.append(SyntheticVideo(v, split, T, float(duration), segs, sorted({c for _, _, c in segs})))
    return videos, classes


def build_structure(preset: Union[str, SyntheticConfig], seed: int = 0, **overrides: Any):
    """The videos (names, lengths, segments) that :func:`generate_synthetic` would write.

    Returns ``(videos, class_names)`` where each video is a small record with ``name``, ``split``,
    ``num_snippets``, ``duration`` and ``segments`` ``[(start_s, end_s, class_id)]``.
    """
    cfg = resolve_config(preset, dict(overrides))
    classes = _resolve_classes(cfg)
    if cfg.structure in ("thumos14", "activitynet12"):
        return _stats_structure(cfg, seed, classes), classes
    return _gt_structure(cfg, classes)


def summarize_structure(videos: Sequence[SyntheticVideo]) -> Dict[str, Any]:
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
