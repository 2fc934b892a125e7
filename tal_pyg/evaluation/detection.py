"""Detection mAP at temporal-IoU thresholds, with the numbers of the official ActivityNet evaluator.

Rules (docs/method.md#evaluation; the official ``Evaluation/eval_detection.py`` of activitynet/ActivityNet):

* classes are the labels present in the ground truth of the evaluated subset, each on its own;
* a class's predictions are processed by descending score, ties in input order (stable);
* for each prediction the ground-truth instances of its video and class are visited by descending
  tIoU (ties in ground-truth file order); the first one that is still unmatched and whose tIoU is
  :math:`\\ge` the threshold is matched (true positive); if none, it is a false positive.
  Matching is independent per threshold;
* predictions on videos that are not in the evaluated subset or not in the ground truth at all are
  false positives (kept, not dropped);
* with :math:`TP_k, FP_k` the cumulative counts after the :math:`k`-th prediction and :math:`n` the
  number of ground-truth instances of the class,
  :math:`\\mathrm{rec}_k = TP_k / n`, :math:`\\mathrm{prec}_k = TP_k / (TP_k + FP_k)`;
* AP is all-point interpolated: pad precision with 0 at both ends and recall with 0 and 1, replace
  each precision by the maximum to its right, and sum
  :math:`\\Delta\\mathrm{rec} \\cdot \\mathrm{prec}` where recall changes; a class without
  predictions has AP 0;
* mAP is the plain mean over classes, the reported average the mean over thresholds.

The greedy matching is sequential within one (threshold, video, class) group only; groups are
independent. The implementation builds every (prediction, ground truth) pair of the same video and
class whose tIoU clears the lowest threshold, then runs the greedy for all groups and thresholds
at once, one step per rank inside a group (a handful of numpy calls per step): the cost is linear
in the number of pairs plus a small constant times the largest group.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from tal_pyg.evaluation.ground_truth import GroundTruth, load_ambiguous, load_ground_truth
from tal_pyg.evaluation.predictions import Predictions, load_predictions
from tal_pyg.evaluation.tiou import TIoUSpec, resolve_tiou_thresholds, segment_tiou

__all__ = [
    "DetectionResult",
    "detection_map",
    "match_predictions",
    "interpolated_average_precision",
]

PathLike = Union[str, "os.PathLike[str]"]
_PAIR_CHUNK = 1 << 21  # candidate pairs evaluated at once in match_predictions


@dataclass(frozen=True)
class DetectionResult:
    """The outcome of :func:`detection_map`. AP values are fractions in ``[0, 1]``.

    Attributes:
        tiou_thresholds: [T] thresholds.
        class_names: [C] classes (labels of the evaluated ground truth, first-appearance order).
        ap: [C, T] average precision per class and threshold.
        mAP: [T] mean over classes.
        average_mAP: mean of ``mAP`` over thresholds.
        num_ground_truth: [C] instances per class.
        num_true_positives: [C, T] matched predictions per class and threshold.
        num_videos: videos in the evaluated ground truth.
        num_predictions: predictions evaluated (after the drops below).
        num_predictions_outside: evaluated predictions on videos without any evaluated ground truth
            (other subset or unknown): all false positives.
        num_dropped_ambiguous: predictions removed because they overlap an ambiguous segment.
        num_dropped_labels: predictions removed because their label is not a class of the evaluated
            subset (but known to the ground truth file), or unknown with ``unknown_labels="warn"``.
        subset: the subset evaluated (``None``: the whole ground truth).
    """

    tiou_thresholds: np.ndarray
    class_names: tuple[str, ...]
    ap: np.ndarray
    mAP: np.ndarray
    average_mAP: float
    num_ground_truth: np.ndarray
    num_true_positives: np.ndarray
    num_videos: int = 0
    num_predictions: int = 0
    num_predictions_outside: int = 0
    num_dropped_ambiguous: int = 0
    num_dropped_labels: int = 0
    subset: Optional[str] = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: ``tiou_thresholds``, ``mAP``, ``average_mAP``, ``ap_per_class``
        (label -> AP per threshold) and the counts."""
        return {
            "tiou_thresholds": self.tiou_thresholds.tolist(),
            "mAP": self.mAP.tolist(),
            "average_mAP": float(self.average_mAP),
            "ap_per_class": {c: self.ap[i].tolist() for i, c in enumerate(self.class_names)},
            "subset": self.subset,
            "num_classes": len(self.class_names),
            "num_videos": self.num_videos,
            "num_ground_truth": int(self.num_ground_truth.sum()),
            "num_predictions": self.num_predictions,
            "num_predictions_outside": self.num_predictions_outside,
            "num_dropped_ambiguous": self.num_dropped_ambiguous,
            "num_dropped_labels": self.num_dropped_labels,
        }

    def format_table(self, per_class: bool = False) -> str:
        """A plain-text table (values in percent)."""
        thr = [f"{t:.2f}" for t in self.tiou_thresholds]
        names = list(self.class_names) if per_class else []
        name_w = max([len("mAP"), len("class")] + [len(c) for c in names])
        head = f"{'tIoU':<{name_w}} " + " ".join(f"{t:>6}" for t in thr) + f" {'avg':>6}"
        rule = "-" * len(head)
        lines = [head, rule]
        if per_class:
            for i, c in enumerate(self.class_names):
                row = " ".join(f"{100 * v:6.2f}" for v in self.ap[i])
                lines.append(f"{c:<{name_w}} {row} {100 * self.ap[i].mean():6.2f}")
            lines.append(rule)
        row = " ".join(f"{100 * v:6.2f}" for v in self.mAP)
        lines.append(f"{'mAP':<{name_w}} {row} {100 * self.average_mAP:6.2f}")
        lines.append(
            f"({len(self.class_names)} classes, {self.num_videos} videos, "
            f"{int(self.num_ground_truth.sum())} ground-truth instances, "
            f"{self.num_predictions} predictions"
            + (f", subset {self.subset!r}" if self.subset is not None else "")
            + (f", {self.num_dropped_ambiguous} dropped as ambiguous"
               if self.num_dropped_ambiguous else "")
            + ")"
        )
        return "\n".join(lines)


def interpolated_average_precision(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """All-point interpolated AP of each row.

    Args:
        precision, recall: [T, K] precision and recall after each of K ranked predictions.

    Returns:
        [T] :math:`\\sum_k (r_k - r_{k-1})\\, \\max_{j \\ge k} p_j` over the padded sequences
        (precision padded with 0 at both ends, recall with 0 and 1).
    """
    t = precision.shape[0]
    mprec = np.concatenate([np.zeros((t, 1)), precision, np.zeros((t, 1))], axis=1)
    mrec = np.concatenate([np.zeros((t, 1)), recall, np.ones((t, 1))], axis=1)
    mprec = np.maximum.accumulate(mprec[:, ::-1], axis=1)[:, ::-1]
    drec = mrec[:, 1:] - mrec[:, :-1]
    return np.sum(np.where(drec != 0, drec * mprec[:, 1:], 0.0), axis=1)


def _expand_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + c)`` for each (s, c)."""
    total = int(counts.sum())
    offsets = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, counts)


def _candidate_ranges(
    gt_key: np.ndarray,
    gt_segments: np.ndarray,
    pred_key: np.ndarray,
    pred_segments: np.ndarray,
    min_threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each prediction, a range ``[lo, lo + cnt)`` of the ground truth sorted by (key, start)
    (``gorder`` maps back to input rows) that holds every instance that can reach ``min_threshold``.

    With ``min_threshold > 0`` and a prediction of positive length, a candidate must overlap it:
    start < prediction end (a prefix of the key's start-sorted rows) and end > prediction start
    (a suffix of it by the running maximum of the ends). Both bounds are found by binary search on
    integer composites ``key rank * (M + 1) + rank``, so the comparisons stay exact.
    """
    m = gt_key.shape[0]
    gorder = np.lexsort((gt_segments[:, 0], gt_key))  # ties keep input order
    g_start, g_end = gt_segments[gorder, 0], gt_segments[gorder, 1]
    # keys -> dense ranks 0..K-1 (ground-truth rows sorted by rank); prediction keys absent from
    # the ground truth get an empty range
    keys, gk = np.unique(gt_key[gorder], return_inverse=True)
    pk = np.minimum(np.searchsorted(keys, pred_key), keys.size - 1)
    valid = keys[pk] == pred_key
    counts = np.bincount(gk, minlength=keys.size)
    lo = (np.cumsum(counts) - counts)[pk]
    hi = np.where(valid, lo + counts[pk], lo)
    if min_threshold > 0:
        p_start, p_end = pred_segments[:, 0], pred_segments[:, 1]
        base = gk * (m + 1)
        sorted_starts = np.sort(g_start)
        comp_start = base + np.searchsorted(sorted_starts, g_start, side="left")  # ascending
        sorted_ends = np.sort(g_end)
        comp_end = np.maximum.accumulate(base + np.searchsorted(sorted_ends, g_end, side="left"))
        p_base = pk * (m + 1)
        # #starts < p_end: rows with start < p_end come before the first composite >= this
        n_start_before = np.searchsorted(sorted_starts, p_end, "left")
        upper = np.searchsorted(comp_start, p_base + n_start_before, "left")
        # #ends <= p_start: rows before the first running-max composite >= this all end <= p_start
        n_end_not_after = np.searchsorted(sorted_ends, p_start, "right")
        lower = np.searchsorted(comp_end, p_base + n_end_not_after, "left")
        prune = p_end > p_start  # a zero-length prediction can still meet a zero-length instance
        lo = np.where(prune, np.maximum(lo, lower), lo)
        hi = np.where(prune, np.minimum(hi, upper), hi)
    return lo, np.maximum(hi - lo, 0), gorder


def match_predictions(
    gt_key: np.ndarray,
    gt_segments: np.ndarray,
    pred_key: np.ndarray,
    pred_segments: np.ndarray,
    tiou_thresholds: np.ndarray,
) -> np.ndarray:
    """Greedy matching of already ranked predictions, for every threshold at once.

    Args:
        gt_key: [M] int64 group of each ground-truth instance (e.g. ``video * C + class``).
        gt_segments: [M, 2] seconds; the order of rows with equal key breaks tIoU ties.
        pred_key: [N] int64 group of each prediction; a key without ground truth (e.g. -1) never
            matches. Inside a group, predictions are processed in the given order (best first).
        pred_segments: [N, 2] seconds.
        tiou_thresholds: [T].

    Returns:
        [T, N] bool, True where the prediction is a true positive at that threshold.
    """
    thr = np.asarray(tiou_thresholds, dtype=np.float64)
    n, t_num, m = pred_key.shape[0], thr.shape[0], gt_key.shape[0]
    if n == 0 or m == 0:
        return np.zeros((t_num, n), dtype=bool)
    # work with the predictions grouped by key (stable: processing order kept inside a key)
    korder = np.argsort(pred_key, kind="stable")
    tp = np.empty((t_num, n), dtype=bool)
    tp[:, korder] = _match_grouped(
        gt_key, gt_segments, pred_key[korder], pred_segments[korder], thr
    )
    return tp


def _match_grouped(
    gt_key: np.ndarray,
    gt_segments: np.ndarray,
    pred_key: np.ndarray,
    pred_segments: np.ndarray,
    thr: np.ndarray,
) -> np.ndarray:
    """:func:`match_predictions` for predictions sorted by key (processing order inside a key)."""
    n, t_num, m = pred_key.shape[0], thr.shape[0], gt_key.shape[0]
    tp = np.zeros((t_num, n), dtype=bool)
    # 1. candidate pairs: same key, tIoU >= the lowest threshold
    lo, cnt, gorder = _candidate_ranges(gt_key, gt_segments, pred_key, pred_segments, thr.min())
    gseg = gt_segments[gorder]
    # in chunks of about _PAIR_CHUNK pairs, to bound the memory of the all-pairs step
    ends = np.cumsum(cnt)
    cuts = np.searchsorted(ends, np.arange(_PAIR_CHUNK, int(ends[-1]), _PAIR_CHUNK), side="right")
    kept = []
    for a, b in zip(np.concatenate(([0], cuts)), np.concatenate((cuts, [n]))):
        c_pred = np.repeat(np.arange(a, b, dtype=np.int64), cnt[a:b])
        c_gt = _expand_ranges(lo[a:b], cnt[a:b])  # index into the (key, start)-sorted ground truth
        c_iou = segment_tiou(
            pred_segments[c_pred, 0], pred_segments[c_pred, 1], gseg[c_gt, 0], gseg[c_gt, 1]
        )
        ok = c_iou >= thr.min()
        kept.append((c_pred[ok], c_gt[ok], c_iou[ok]))
    pair_pred, pair_gt, iou = (np.concatenate(x) for x in zip(*kept))
    if pair_pred.size == 0:
        return tp
    # inside a prediction: descending tIoU, ties in ground-truth input order
    order = np.lexsort((gorder[pair_gt], -iou, pair_pred))
    pair_pred, pair_gt, iou = pair_pred[order], pair_gt[order], iou[order]

    # 2. entries (threshold, pair) with tIoU >= threshold, threshold-major then prediction order
    passes = iou[None, :] >= thr[:, None]  # [T, P]
    e_thr, e_pair = np.nonzero(passes)
    e_pred = pair_pred[e_pair]
    e_lock = e_thr * m + pair_gt[e_pair]  # flat index into the [T, M] lock table
    # units = (threshold, prediction) with >= 1 entry; entries of a unit are contiguous
    unit_start = np.flatnonzero(
        np.concatenate(([True], (e_thr[1:] != e_thr[:-1]) | (e_pred[1:] != e_pred[:-1])))
    )
    unit_count = np.diff(np.append(unit_start, e_thr.size))
    u_thr, u_pred = e_thr[unit_start], e_pred[unit_start]
    # rank of a unit inside its (threshold, key) group: units are sorted by (threshold, prediction)
    # and the predictions are grouped by key, in processing order inside a key
    u_key = pred_key[u_pred]
    new_group = np.concatenate(([True], (u_thr[1:] != u_thr[:-1]) | (u_key[1:] != u_key[:-1])))
    pos = np.arange(u_thr.size)
    rank = pos - np.maximum.accumulate(np.where(new_group, pos, 0))

    # 3. the greedy, one rank at a time across all groups (groups never share ground truth)
    by_rank = np.argsort(rank, kind="stable")
    rank_bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
    locked = np.zeros(t_num * m, dtype=bool)
    big = np.iinfo(np.int64).max
    for k in range(rank_bounds.size - 1):
        units = by_rank[rank_bounds[k] : rank_bounds[k + 1]]
        starts, counts = unit_start[units], unit_count[units]
        if counts.max() == 1:  # common case: one candidate each
            free = ~locked[e_lock[starts]]
            hit = starts[free]
            locked[e_lock[hit]] = True
            tp[u_thr[units[free]], u_pred[units[free]]] = True
            continue
        ent = _expand_ranges(starts, counts)
        local = np.arange(ent.size, dtype=np.int64)
        cand = np.where(locked[e_lock[ent]], big, local)
        seg_first = np.cumsum(counts) - counts
        first = np.minimum.reduceat(cand, seg_first)
        ok = first != big
        hit = ent[first[ok]]
        locked[e_lock[hit]] = True
        tp[u_thr[units[ok]], u_pred[units[ok]]] = True
    return tp


def _filter_ambiguous(pred: Predictions, ambiguous: Mapping[str, np.ndarray]) -> np.ndarray:
    """[N] bool: True for predictions overlapping (intersection > 0) an ambiguous segment."""
    drop = np.zeros(len(pred), dtype=bool)
    amb_vid, amb_seg = [], []
    vid_pos = {v: i for i, v in enumerate(pred.videos)}
    for v, segs in ambiguous.items():
        if v in vid_pos and len(segs):
            amb_vid.append(np.full(len(segs), vid_pos[v], dtype=np.int64))
            amb_seg.append(np.asarray(segs, dtype=np.float64).reshape(-1, 2))
    if not amb_vid or len(pred) == 0:
        return drop
    av, aseg = np.concatenate(amb_vid), np.concatenate(amb_seg)
    order = np.argsort(av, kind="stable")
    av, aseg = av[order], aseg[order]
    lo = np.searchsorted(av, pred.video_index, side="left")
    cnt = np.searchsorted(av, pred.video_index, side="right") - lo
    pp = np.repeat(np.arange(len(pred), dtype=np.int64), cnt)
    pa = _expand_ranges(lo, cnt)
    ps = pred.segments[pp]
    inter = np.minimum(ps[:, 1], aseg[pa, 1]) - np.maximum(ps[:, 0], aseg[pa, 0])
    drop[pp[inter > 0]] = True
    return drop


def detection_map(
    ground_truth: Union[PathLike, Mapping[str, Any], GroundTruth],
    predictions: Union[PathLike, Mapping[str, Any], Predictions],
    tiou_thresholds: TIoUSpec = "activitynet",
    subset: Optional[str] = None,
    ambiguous: Optional[Union[PathLike, Mapping[str, Sequence[Sequence[float]]]]] = None,
    unknown_labels: str = "warn",
) -> DetectionResult:
    """Detection mAP over classes at each tIoU threshold (the numbers of the ActivityNet evaluator).

    Args:
        ground_truth: ActivityNet-format ground truth (``{"database": ...}``), a path to it, or a
            :class:`~tal_pyg.evaluation.GroundTruth`.
        predictions: ActivityNet-format results (``{"results": ...}``), a path, or a
            :class:`~tal_pyg.evaluation.Predictions`.
        tiou_thresholds: a preset name of :data:`~tal_pyg.evaluation.TIOU_PRESETS` or the values
            (default ``"activitynet"``: ``np.linspace(0.5, 0.95, 10)``, the official default).
        subset: evaluate only the videos of this subset (``"test"``, ``"validation"``);
            ``None``: all.
        ambiguous: THUMOS'14 ambiguous segments (``{video: [(s, e), ...]}`` or the W-TALC
            ``Ambiguous_test.txt``): predictions overlapping one (intersection > 0, any class) are
            dropped first, as the W-TALC family does. Off by default (BaS-Net/UM/DGAM protocol).
        unknown_labels: what to do with prediction labels that are not in the ground truth at
            all: ``"warn"`` (default: drop them with a warning; a ground truth restricted to a few
            videos may lack classes the model predicts) or ``"error"`` (``tal-pyg evaluate`` uses
            this unless ``--allow-unknown-labels``: it catches a label typo or a class-list
            mismatch).
            Labels known to the file but absent from the evaluated subset are dropped with a warning
            (they cannot change any class's AP).

    Returns:
        :class:`DetectionResult` (APs as fractions).

    Warnings:
        ``UserWarning`` when there are no predictions (every AP is 0), when predictions lie on
        videos without evaluated ground truth (they count as false positives), and for dropped
        labels.
    """
    if unknown_labels not in ("error", "warn"):
        raise ValueError(f"unknown_labels must be 'error' or 'warn', got {unknown_labels!r}")
    thr = resolve_tiou_thresholds(tiou_thresholds)
    full_gt = load_ground_truth(ground_truth)
    gt = full_gt.select(subset)
    if gt.num_instances == 0:
        raise ValueError(
            f"{gt.source}: no ground-truth instance"
            + (f" in subset {subset!r}" if subset is not None else "")
        )
    pred = load_predictions(predictions)
    num_classes = len(gt.labels)

    # labels -> evaluated class index (-1: drop)
    class_pos = {c: i for i, c in enumerate(gt.labels)}
    known = set(full_gt.labels)
    unknown = [lab for lab in pred.labels if lab not in known]
    if unknown and unknown_labels == "error":
        raise ValueError(
            f"{pred.source}: {len(unknown)} label(s) not in the ground truth ({gt.source}): "
            f"{', '.join(map(repr, unknown[:5]))}{' ...' if len(unknown) > 5 else ''} "
            f"(ground-truth classes: {', '.join(map(repr, list(full_gt.labels)[:5]))}"
            f"{' ...' if len(full_gt.labels) > 5 else ''})"
        )
    label_map = np.array([class_pos.get(lab, -1) for lab in pred.labels], dtype=np.int64)
    p_class = label_map[pred.label_index] if len(pred) else np.zeros(0, dtype=np.int64)
    keep = p_class >= 0
    num_dropped_labels = int((~keep).sum())
    if num_dropped_labels:
        outside = [lab for lab in pred.labels if lab not in class_pos]
        warnings.warn(
            f"{pred.source}: {num_dropped_labels} prediction(s) with labels that are not classes "
            f"of the evaluated ground truth were ignored: {', '.join(map(repr, outside[:5]))}"
            f"{' ...' if len(outside) > 5 else ''}",
            UserWarning,
            stacklevel=2,
        )
    num_dropped_ambiguous = 0
    if ambiguous is not None:
        amb = _filter_ambiguous(pred, load_ambiguous(ambiguous))
        num_dropped_ambiguous = int((amb & keep).sum())
        keep &= ~amb

    # videos -> evaluated video index (-1: no evaluated ground truth => false positive)
    gt_vid_pos = {v: i for i, v in enumerate(gt.videos)}
    videos_with_gt = np.zeros(len(gt.videos), dtype=bool)
    videos_with_gt[gt.video_index] = True
    vid_map = np.array([gt_vid_pos.get(v, -1) for v in pred.videos], dtype=np.int64)
    vid_map[~np.append(videos_with_gt, False)[vid_map]] = -1  # no instance in the video: -1
    p_video = vid_map[pred.video_index[keep]] if len(pred) else np.zeros(0, dtype=np.int64)
    p_class = p_class[keep]
    p_score = pred.scores[keep]
    p_seg = pred.segments[keep]
    n = int(p_score.shape[0])
    num_outside = int((p_video < 0).sum())
    if len(pred) == 0:
        warnings.warn(f"{pred.source}: no predictions; every AP is 0", UserWarning, stacklevel=2)
    elif num_outside:
        warnings.warn(
            f"{pred.source}: {num_outside} prediction(s) on videos without ground truth in the "
            f"evaluated {'subset' if subset is not None else 'file'} count as false positives",
            UserWarning,
            stacklevel=2,
        )

    # processing order: class-major, descending score, ties in input order
    order = np.lexsort((-p_score, p_class))
    p_class, p_video, p_seg = p_class[order], p_video[order], p_seg[order]
    p_key = np.where(p_video >= 0, p_video * num_classes + p_class, -1)
    g_key = gt.video_index * num_classes + gt.label_index
    tp = match_predictions(g_key, gt.segments, p_key, p_seg, thr)

    npos = np.bincount(gt.label_index, minlength=num_classes)
    ap = np.zeros((num_classes, thr.size))
    ntp = np.zeros((num_classes, thr.size), dtype=np.int64)
    bounds = np.searchsorted(p_class, np.arange(num_classes + 1))
    for c in range(num_classes):
        a, b = bounds[c], bounds[c + 1]
        if a == b:
            continue
        tpc = np.cumsum(tp[:, a:b], axis=1, dtype=np.float64)
        fpc = np.cumsum(~tp[:, a:b], axis=1, dtype=np.float64)
        ap[c] = interpolated_average_precision(tpc / (tpc + fpc), tpc / npos[c])
        ntp[c] = tpc[:, -1]
    m_ap = ap.mean(axis=0)
    return DetectionResult(
        tiou_thresholds=thr,
        class_names=tuple(gt.labels),
        ap=ap,
        mAP=m_ap,
        average_mAP=float(m_ap.mean()),
        num_ground_truth=npos,
        num_true_positives=ntp,
        num_videos=len(gt.videos),
        num_predictions=n,
        num_predictions_outside=num_outside,
        num_dropped_ambiguous=num_dropped_ambiguous,
        num_dropped_labels=num_dropped_labels,
        subset=subset,
    )
