"""From per-snippet class activations to scored temporal proposals in seconds."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional, Sequence, Tuple

import numpy as np
from numpy.typing import ArrayLike

from tal_pyg.postprocess.contrast import SCORE_FORMS, contrast_from_prefix_sums
from tal_pyg.postprocess.grouping import consecutive_runs
from tal_pyg.postprocess.nms import class_nms, soft_nms
from tal_pyg.postprocess.normalize import minmax_normalize
from tal_pyg.postprocess.upsample import upsample_linear

#: np.arange(0.0, 0.25, 0.025): the activation thresholds of BaS-Net and BaM (rounded to 4 decimals)
DEFAULT_ACT_THRESHOLDS: Tuple[float, ...] = tuple(round(0.025 * i, 4) for i in range(10))


def select_classes(
    video_scores: ArrayLike, threshold: float, *, inclusive: bool = True, argmax_if_none: bool = True
) -> np.ndarray:
    """Indices of the classes whose video score passes ``threshold`` (``>=`` if ``inclusive`` else ``>``);
    when none passes, the arg-max class (``argmax_if_none``) or nothing.

    Args:
        video_scores: ``[C]`` class probabilities of one video.

    Returns:
        int64 ``[K]`` ascending class indices.
    """
    s = np.asarray(video_scores, dtype=np.float64).reshape(-1)
    if s.size == 0:
        raise ValueError("select_classes: empty video score vector")
    picked = np.nonzero(s >= threshold if inclusive else s > threshold)[0]
    if picked.size == 0 and argmax_if_none:
        picked = np.array([int(np.argmax(s))])
    return picked.astype(np.int64)


def steps_to_seconds(starts: ArrayLike, ends: ArrayLike, snippet_seconds: float, upsample: int = 1) -> np.ndarray:
    r"""``[P, 2]`` seconds of proposals over (upsampled) steps ``[s, e]`` (inclusive),
    docs/method.md#snippets-seconds-and-sampling: ``[s \cdot \delta, (e + 1)\,\delta)`` with
    ``\delta = snippet\_seconds / upsample``."""
    step = float(snippet_seconds) / int(upsample)
    s = np.asarray(starts, dtype=np.float64)
    e = np.asarray(ends, dtype=np.float64)
    return np.stack([s * step, (e + 1.0) * step], axis=-1)


def generate_proposals(
    activations: ArrayLike,
    class_indices: ArrayLike,
    class_scores: ArrayLike,
    thresholds: Sequence[float],
    *,
    snippet_seconds: float,
    upsample: int = 1,
    threshold_on: Optional[ArrayLike] = None,
    contrast: str = "thresholded",
    score_form: str = "basnet",
    margin_ratio: float = 0.25,
    outer_weight: float = 1.0,
    score_weight: float = 0.2,
    min_length: int = 1,
    short_runs_in_signal: bool = True,
) -> np.ndarray:
    r"""Multi-threshold proposals of one video, vectorised over (class, threshold).

    1. ``activations`` and ``threshold_on`` are upsampled ``upsample`` times (:func:`upsample_linear`).
    2. For every selected class k and threshold :math:`\theta`, the steps with
       ``threshold_on[:, k] > theta`` are grouped into runs of consecutive steps (:func:`consecutive_runs`
       on one ``[K * N, L]`` boolean matrix); runs shorter than ``min_length`` steps are not proposals.
    3. Each run is scored by :func:`outer_inner_scores` on the activation of its class, either as is
       (``contrast="raw"``) or with the steps outside the active set of its threshold set to 0
       (``contrast="thresholded"``, the BaS-Net/UM released behaviour), plus
       ``score_weight * class_scores[k]``. The active set includes the runs too short to be proposals
       (``short_runs_in_signal``, as the released UM: such a run in a proposal's margin counts in its
       outer mean); ``short_runs_in_signal=False`` zeroes them too.
    4. Steps map to seconds by :func:`steps_to_seconds`.

    No suppression here: merge the proposals of all branches, then apply :func:`class_nms`.

    Args:
        activations: ``[T, K]`` activation of each selected class at snippet resolution (``[T]``: K = 1).
        class_indices: ``[K]`` class index of each column.
        class_scores: ``[K]`` video-level score of each column (``score_weight`` term).
        thresholds: ``N`` thresholds.
        snippet_seconds: seconds per snippet of ``activations``.
        upsample: integer upsampling factor.
        threshold_on: the sequence compared with the thresholds, ``[T, K]`` or ``[T]`` (shared by all
            classes); default ``activations``.
        contrast: ``"thresholded"`` or ``"raw"``.
        score_form, margin_ratio, outer_weight: see :func:`outer_inner_scores`.
        score_weight: weight of the video-level class score.
        min_length: minimal proposal length in upsampled steps.
        short_runs_in_signal: keep the runs shorter than ``min_length`` in the thresholded signal
            (``contrast="thresholded"`` only).

    Returns:
        float64 ``[P, 4]`` rows ``(class_index, score, start_s, end_s)``, ordered by class column,
        threshold, start.
    """
    act = np.asarray(activations, dtype=np.float64)
    if act.ndim == 1:
        act = act[:, None]
    if act.ndim != 2 or act.shape[0] == 0:
        raise ValueError(f"generate_proposals: activations must be [T, K] with T >= 1, got shape {act.shape}")
    t, k = act.shape
    cls = np.asarray(class_indices, dtype=np.int64).reshape(-1)
    cscore = np.asarray(class_scores, dtype=np.float64).reshape(-1)
    if cls.shape[0] != k or cscore.shape[0] != k:
        raise ValueError(
            f"generate_proposals: {k} activation columns but {cls.shape[0]} class indices and "
            f"{cscore.shape[0]} class scores"
        )
    if contrast not in ("thresholded", "raw"):
        raise ValueError(f"generate_proposals: contrast must be 'thresholded' or 'raw', got {contrast!r}")
    if score_form not in SCORE_FORMS:
        raise ValueError(f"generate_proposals: score_form must be one of {SCORE_FORMS}, got {score_form!r}")
    if snippet_seconds <= 0:
        raise ValueError(f"generate_proposals: snippet_seconds must be > 0, got {snippet_seconds}")
    th = np.asarray(list(thresholds), dtype=np.float64).reshape(-1)
    if k == 0 or th.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if threshold_on is None:
        sig = None
    else:
        sig = np.asarray(threshold_on, dtype=np.float64)
        if sig.ndim == 1:
            sig = sig[:, None]
        if sig.shape[0] != t or sig.shape[1] not in (1, k):
            raise ValueError(
                f"generate_proposals: threshold_on must be [T] or [T, K] = [{t}, {k}], got shape {sig.shape}"
            )
        sig = np.broadcast_to(sig, (t, k))
    if upsample != 1:
        act = upsample_linear(act, upsample)
        sig = None if sig is None else upsample_linear(sig, upsample)
    if sig is None:
        sig = act
    n = th.size
    length = act.shape[0]
    active = (sig.T[:, None, :] > th[None, :, None]).reshape(k * n, length)  # row = class * N + threshold
    rows, starts, ends = consecutive_runs(active)
    keep = (ends - starts + 1) >= max(int(min_length), 1)
    if not short_runs_in_signal:
        rows, starts, ends = rows[keep], starts[keep], ends[keep]
        keep = np.ones(rows.shape, dtype=bool)
    if not keep.any():
        return np.zeros((0, 4), dtype=np.float64)
    raw_cs = np.zeros((k, length + 1), dtype=np.float64)  # prefix sums of each class's activation
    np.cumsum(act.T, axis=1, out=raw_cs[:, 1:])
    if contrast == "thresholded":
        # the thresholded signal of a row is the activation on that row's runs (all of them, also those
        # too short to be proposals, unless short_runs_in_signal is off), 0 elsewhere
        prefix = _run_prefix_sums(raw_cs, rows, rows // n, starts, ends, length)
    else:
        prefix = lambda rr, q: raw_cs[rr // n, q]  # noqa: E731
    rows, starts, ends = rows[keep], starts[keep], ends[keep]
    col = rows // n
    score = contrast_from_prefix_sums(prefix, rows, starts, ends, length, form=score_form,
                                      margin_ratio=margin_ratio, outer_weight=outer_weight)
    score = score + score_weight * cscore[col]
    seconds = steps_to_seconds(starts, ends, snippet_seconds, upsample)
    return np.column_stack([cls[col].astype(np.float64), score, seconds])


def _run_prefix_sums(raw_cs: np.ndarray, rows: np.ndarray, col: np.ndarray, starts: np.ndarray,
                     ends: np.ndarray, length: int):
    """Prefix-sum oracle of the signal that equals the activation on the runs of each row and 0 elsewhere,
    from the runs alone (``O(P log P)`` per query batch instead of a dense ``[rows, L]`` cumulative sum).

    For query ``(r, q)``: the runs of row ``r`` that start before ``q`` contribute in full, except the last
    one, which contributes its activation over ``[start, min(q, end + 1))``.
    """
    run_sum = raw_cs[col, ends + 1] - raw_cs[col, starts]
    before = np.cumsum(run_sum) - run_sum  # sum of all earlier runs (all rows)
    first_of_row = np.searchsorted(rows, rows, side="left")
    before_in_row = before - before[first_of_row]
    keys = rows * (length + 1) + starts  # sorted: runs are ordered by row, then start

    def prefix(rr: np.ndarray, q: np.ndarray) -> np.ndarray:
        p = np.searchsorted(keys, rr * (length + 1) + q, side="left") - 1  # last run starting before q
        pc = np.maximum(p, 0)
        valid = (p >= 0) & (rows[pc] == rr)
        partial = raw_cs[col[pc], np.minimum(q, ends[pc] + 1)] - raw_cs[col[pc], starts[pc]]
        return np.where(valid, before_in_row[pc] + partial, 0.0)

    return prefix


@dataclass
class ProposalConfig:
    """The localisation recipe (docs/method.md#host-frameworks): select classes, min-max normalise,
    upsample, multi-threshold grouping, outer-inner contrast + ``score_weight`` x video score, class-wise
    (soft-)NMS. :func:`cas_to_proposals` runs it on any head that exposes a ``[T, C]`` class activation
    sequence; the defaults here are the generic recipe of :class:`~tal_pyg.models.WTALHead`.

    Each host keeps its released values in a subclass with its own defaults (``model.head_config.proposal``
    of the experiment configs): :class:`~tal_pyg.models.basnet.BaSNetProposalConfig`,
    :class:`~tal_pyg.models.bam.BaMProposalConfig`, :class:`~tal_pyg.models.dgam.DGAMProposalConfig`.
    """

    class_threshold: float = 0.25
    class_threshold_inclusive: bool = True  # a class passes with score >= threshold (False: >)
    argmax_if_none: bool = True  # no class passes: propose the arg-max class
    thresholds: Tuple[float, ...] = DEFAULT_ACT_THRESHOLDS  # on the normalised CAS
    minmax_clip: bool = False  # clip the min-max normalised CAS to [0, 1] (released BaS-Net: no; UM: yes)
    upsample: int = 24
    contrast: Literal["thresholded", "raw"] = "thresholded"
    score_form: Literal["basnet", "dgam"] = "basnet"
    margin_ratio: float = 0.25  # outer margins of the outer-inner contrast, relative to the proposal length
    outer_weight: float = 1.0
    score_weight: float = 0.2  # weight of the video score in the proposal score
    min_length: int = 1  # upsampled steps: shorter runs are not proposals ...
    short_runs_in_signal: bool = True  # ... but stay in the thresholded CAS of the contrast (released UM)
    nms_threshold: float = 0.7
    nms_length_offset: float = 0.0  # 1.0: the reference nms' "+1" length convention (0: plain temporal IoU)
    soft_nms: bool = False
    soft_nms_sigma: float = 0.5

    def __post_init__(self) -> None:
        for name in ("upsample", "min_length"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{type(self).__name__}.{name} must be a positive int, got {v!r}")
        if self.contrast not in ("thresholded", "raw"):
            raise ValueError(f"{type(self).__name__}.contrast must be 'thresholded' or 'raw', got {self.contrast!r}")
        if self.score_form not in SCORE_FORMS:
            raise ValueError(f"{type(self).__name__}.score_form must be one of {SCORE_FORMS}, got {self.score_form!r}")
        self.thresholds = tuple(self.thresholds)


def suppress(proposals: np.ndarray, nms_threshold: float, *, use_soft_nms: bool = False,
             soft_nms_sigma: float = 0.5, length_offset: float = 0.0) -> np.ndarray:
    """Class-wise NMS (:func:`class_nms`) or Gaussian soft-NMS (:func:`soft_nms`)."""
    if use_soft_nms:
        return soft_nms(proposals, sigma=soft_nms_sigma, length_offset=length_offset)
    return class_nms(proposals, nms_threshold, length_offset=length_offset)


def cas_to_proposals(
    cas: ArrayLike,
    video_scores: ArrayLike,
    snippet_seconds: float,
    config: Optional[ProposalConfig] = None,
    *,
    normalize: bool = True,
) -> np.ndarray:
    """The :class:`ProposalConfig` recipe on one video.

    Args:
        cas: ``[T, C]`` class activation sequence (logits or probabilities) of the valid snippets.
        video_scores: ``[C]`` class probabilities of the video.
        snippet_seconds: seconds per snippet of ``cas``.
        config: the recipe's parameters (default: BaS-Net's).
        normalize: min-max normalise each class over time first (:func:`minmax_normalize`).

    Returns:
        ``[P, 4]`` rows ``(class_index, score, start_s, end_s)``.
    """
    cfg = config or ProposalConfig()
    a = np.asarray(cas, dtype=np.float64)
    scores = np.asarray(video_scores, dtype=np.float64).reshape(-1)
    if a.ndim != 2 or a.shape[1] != scores.shape[0]:
        raise ValueError(f"cas_to_proposals: cas must be [T, C] with C = {scores.shape[0]}, got shape {a.shape}")
    classes = select_classes(scores, cfg.class_threshold, inclusive=cfg.class_threshold_inclusive,
                             argmax_if_none=cfg.argmax_if_none)
    if classes.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if normalize:
        a = minmax_normalize(a, axis=0, clip=cfg.minmax_clip)
    props = generate_proposals(
        a[:, classes], classes, scores[classes], cfg.thresholds, snippet_seconds=snippet_seconds,
        upsample=cfg.upsample, contrast=cfg.contrast, score_form=cfg.score_form,
        margin_ratio=cfg.margin_ratio, outer_weight=cfg.outer_weight, score_weight=cfg.score_weight,
        min_length=cfg.min_length, short_runs_in_signal=cfg.short_runs_in_signal,
    )
    return suppress(props, cfg.nms_threshold, use_soft_nms=cfg.soft_nms, soft_nms_sigma=cfg.soft_nms_sigma,
                    length_offset=cfg.nms_length_offset)
