"""Plain-Python loop references written from the formulas (docs/method.md), independent of the vectorised code."""
from __future__ import annotations

import math

import numpy as np


def upsample_ref(x, scale):
    x = np.asarray(x, dtype=np.float64)
    t = x.shape[0]
    out = []
    for u in range(t * scale):
        p = u / scale
        if t == 1:
            out.append(x[0])
            continue
        i = min(int(math.floor(p)), t - 2)
        out.append(x[i] + (p - i) * (x[i + 1] - x[i]))
    return np.array(out)


def runs_ref(flags):
    runs, start = [], None
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        if not f and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(flags) - 1))
    return runs


def _mean(vals):
    return sum(vals) / len(vals) if vals else 0.0


def oic_ref(sig, s, e, form, ratio, w):
    length = len(sig)
    n = e - s + 1
    inner = _mean([sig[i] for i in range(s, e + 1)])
    if form == "basnet":
        os_ = max(0, int(s - ratio * n))
        oe = min(length - 1, int(e + ratio * n))
        outer_idx = list(range(os_, s)) + list(range(e + 1, oe + 1))
        return inner - w * _mean([sig[i] for i in outer_idx])
    m = int(math.floor(ratio * n)) + 1
    left = [sig[i] for i in range(max(0, s - m), s)]
    right = [sig[i] for i in range(e + 1, min(length, e + 1 + m))]
    return inner - w * (_mean(left) + _mean(right))


def generate_ref(act, classes, cscores, thresholds, snippet_seconds, upsample=1, threshold_on=None,
                 contrast="thresholded", form="basnet", ratio=0.25, w=1.0, gamma=0.2, min_len=1):
    act = np.asarray(act, dtype=np.float64)
    sig = act if threshold_on is None else np.broadcast_to(
        np.asarray(threshold_on, dtype=np.float64).reshape(act.shape[0], -1), act.shape)
    up_act = np.stack([upsample_ref(act[:, k], upsample) for k in range(act.shape[1])], 1)
    up_sig = np.stack([upsample_ref(sig[:, k], upsample) for k in range(act.shape[1])], 1)
    step = snippet_seconds / upsample
    out = []
    for k in range(act.shape[1]):
        for th in thresholds:
            flags = [up_sig[i, k] > th for i in range(up_act.shape[0])]
            if contrast == "thresholded":
                row = [up_act[i, k] if flags[i] else 0.0 for i in range(len(flags))]
            else:
                row = list(up_act[:, k])
            for s, e in runs_ref(flags):
                if e - s + 1 < min_len:
                    continue
                score = oic_ref(row, s, e, form, ratio, w) + gamma * cscores[k]
                out.append([classes[k], score, s * step, (e + 1) * step])
    return np.array(out, dtype=np.float64).reshape(-1, 4)


def iou_ref(a, b, offset=0.0):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]) + offset)
    union = (a[1] - a[0] + offset) + (b[1] - b[0] + offset) - inter
    return inter / union


def nms_ref(props, thr, offset=0.0):
    """Greedy NMS as a plain list algorithm (stable descending score order)."""
    out = []
    for c in sorted(set(p[0] for p in props)):
        cand = sorted([list(p) for p in props if p[0] == c], key=lambda p: -p[1])  # sorted() is stable
        keep = []
        while cand:
            best = cand.pop(0)
            keep.append(best)
            cand = [p for p in cand if iou_ref(best[2:], p[2:], offset) < thr]
        out.extend(keep)
    return np.array(out, dtype=np.float64).reshape(-1, 4)


def soft_nms_ref(props, sigma, offset=0.0):
    out = []
    for c in sorted(set(p[0] for p in props)):
        cand = sorted([list(p) for p in props if p[0] == c], key=lambda p: -p[1])
        while cand:
            bi = max(range(len(cand)), key=lambda i: (cand[i][1], -i))
            best = cand.pop(bi)
            out.append(best)
            for p in cand:
                f = math.exp(-iou_ref(best[2:], p[2:], offset) ** 2 / sigma)
                p[1] = p[1] - (1 - f) * abs(p[1])
    return np.array(out, dtype=np.float64).reshape(-1, 4)
