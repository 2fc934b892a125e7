"""Statistics over the seeds of each row of a study, and the validation-only choice of the tuning study."""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple


def mean_std(values: Sequence[Optional[float]]) -> Tuple[Optional[float], Optional[float]]:
    """Mean and sample standard deviation of the values that are not ``None`` (std 0 for one value;
    ``(None, None)`` for none)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    m = sum(vals) / len(vals)
    s = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return m, s


def summarize_rows(records: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Mean and std over seeds of every metric, per row (in first-seen order)."""
    rows: Dict[str, List[Dict[str, Any]]] = {}
    for r in records:
        rows.setdefault(r["row"], []).append(r)
    out = {}
    for row, recs in rows.items():
        n_t = len(recs[0]["test_mAP"])
        out[row] = {
            "n": len(recs), "seeds": [r["seed"] for r in recs],
            "mAP": [mean_std([r["test_mAP"][i] for r in recs]) for i in range(n_t)],
            "average": mean_std([r["test_average_mAP"] for r in recs]),
            "cls": mean_std([r["classification_mAP"] for r in recs]),
            "val": mean_std([r["val_average_mAP"] for r in recs]),
            "val_cls": mean_std([r.get("val_classification_mAP") for r in recs]),
            "cpu": mean_std([r["cpu_seconds"] for r in recs]),
            "epm_over_head": mean_std([epm_ratio(r) for r in recs]),
            "proposals": {k: mean_std([(r.get("proposals") or {}).get(k) for r in recs])
                          for k in ("proposals_per_video", "top10_mean_length_s", "mean_best_tiou", "gt_mean_length_s",
                                    "share_gt_best_tiou_ge_0.5")},
            "tious": recs[0]["tiou_thresholds"],
            "info": {k: v for k, v in recs[0].items() if k not in ("cell", "seed", "test_mAP", "losses", "proposals", "epm_weight_used")
                     and not k.endswith("mAP") and k not in ("cpu_seconds", "wall_seconds", "run_dir",
                                                             "selected_iteration", "tiou_thresholds")},
        }
    return out


def epm_ratio(rec: Dict[str, Any]) -> Optional[float]:
    """epm_weight·L_EPM / host loss (second half of training), from metrics.jsonl and the run's config."""
    losses = rec.get("losses") or {}
    w = rec.get("epm_weight_used")
    for prefix in ("loss/", "loss/model/"):
        if f"{prefix}epm" in losses and f"{prefix}total" in losses and w is not None:
            epm = w * losses[f"{prefix}epm"]
            head = losses[f"{prefix}total"] - epm
            return epm / head if head > 0 else None
    return None


def select_by_validation(rows: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    """Per head, the row with the best validation average mAP (ties: validation classification mAP, then
    the first row of the grid). Test numbers play no part."""
    best: Dict[str, tuple] = {}
    for i, (key, r) in enumerate(rows.items()):
        score = (r["val"][0] if r["val"][0] is not None else -1.0,
                 r["val_cls"][0] if r["val_cls"][0] is not None else -1.0, -i)
        head = r["info"]["head"]
        if head not in best or score > best[head][0]:
            best[head] = (score, key)
    return {head: key for head, (_, key) in best.items()}

