"""A deliberately simple, loop-based detection mAP written from the evaluation rules
(docs/method.md#evaluation).

It is the independent reference the vectorised :func:`tal_pyg.evaluation.detection_map` is compared
with. Small inputs only (quadratic loops everywhere). Conventions it shares with the library, where
the rules are silent: ground-truth instances with equal tIoU are visited in file order, the union is
computed as (length of ground truth + length of prediction - intersection), and a 0/0 tIoU (both
segments of length 0) clears every threshold and is visited before any other instance.
"""
from __future__ import annotations

import math


def tiou(pred_start, pred_end, gt_start, gt_end):
    intersection = max(0.0, min(pred_end, gt_end) - max(pred_start, gt_start))
    union = (gt_end - gt_start) + (pred_end - pred_start) - intersection
    if union == 0:
        return math.inf
    return intersection / union


def interpolated_ap(precision, recall):
    """All-point interpolated AP, with explicit loops."""
    p = [0.0] + list(precision) + [0.0]
    r = [0.0] + list(recall) + [1.0]
    for i in range(len(p) - 2, -1, -1):  # non-increasing from the right
        if p[i + 1] > p[i]:
            p[i] = p[i + 1]
    total = 0.0
    for i in range(1, len(r)):
        if r[i] != r[i - 1]:
            total += (r[i] - r[i - 1]) * p[i]
    return total


def reference_detection_map(ground_truth, results, thresholds, subset=None):
    """Returns (classes, ap[class][threshold], mAP[threshold], average_mAP)."""
    instances = []  # (video, label, start, end), file order
    classes = []
    for video, entry in ground_truth["database"].items():
        if subset is not None and entry.get("subset") != subset:
            continue
        for ann in entry["annotations"]:
            start, end = float(ann["segment"][0]), float(ann["segment"][1])
            instances.append((video, ann["label"], start, end))
            if ann["label"] not in classes:
                classes.append(ann["label"])
    predictions = []  # (video, label, score, start, end), input order
    for video, entries in results["results"].items():
        for e in entries:
            predictions.append(
                (video, e["label"], float(e["score"]), float(e["segment"][0]), float(e["segment"][1]))
            )

    ap = []
    for label in classes:
        gts = [g for g in instances if g[1] == label]
        preds = [p for p in predictions if p[1] == label]
        preds = sorted(preds, key=lambda p: -p[2])  # Python's sort is stable: ties keep input order
        ap_class = []
        for threshold in thresholds:
            matched = [False] * len(gts)
            is_tp = []
            for video, _, _, start, end in preds:
                candidates = [
                    (tiou(start, end, g[2], g[3]), j) for j, g in enumerate(gts) if g[0] == video
                ]
                candidates = sorted(candidates, key=lambda c: -c[0])  # stable: ties in file order
                hit = False
                for value, j in candidates:
                    if value < threshold:
                        break
                    if matched[j]:
                        continue
                    matched[j] = True
                    hit = True
                    break
                is_tp.append(hit)
            precision, recall = [], []
            tp = fp = 0
            for hit in is_tp:
                tp += hit
                fp += not hit
                precision.append(tp / (tp + fp))
                recall.append(tp / len(gts))
            ap_class.append(interpolated_ap(precision, recall) if preds else 0.0)
        ap.append(ap_class)
    m_ap = [sum(ap[c][t] for c in range(len(classes))) / len(classes) for t in range(len(thresholds))]
    return classes, ap, m_ap, sum(m_ap) / len(m_ap)
