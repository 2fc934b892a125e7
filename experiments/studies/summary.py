"""Statistics over the seeds of each row of a study, and the validation-only choice of the tuning study."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from tal_pyg.evaluation.paired import mean_std


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
            # ACGNet's branches after training (analyses.acgnet_branch_norms): |F_gcn| / |F| and |F'| / |F|
            "gcn_over_F": mean_std([(r.get("acgnet_branches") or {}).get("gcn_over_F") for r in recs]),
            "out_over_F": mean_std([_ratio(r.get("acgnet_branches"), "norm_F_out", "norm_F") for r in recs]),
            "tious": recs[0]["tiou_thresholds"],
            # per seed (for paired differences between rows trained with the same seeds)
            "by_seed": {str(r["seed"]): {"average": r["test_average_mAP"], "mAP": r["test_mAP"],
                                         "val": r["val_average_mAP"]} for r in recs},
            "info": {k: v for k, v in recs[0].items()
                     if k not in ("cell", "seed", "test_mAP", "losses", "proposals", "epm_weight_used",
                                  "acgnet_branches")
                     and not k.endswith("mAP") and k not in ("cpu_seconds", "wall_seconds", "run_dir",
                                                             "selected_iteration", "tiou_thresholds")},
        }
    return out


def _ratio(d: Optional[Dict[str, Any]], num: str, den: str) -> Optional[float]:
    if not d or d.get(num) is None or not d.get(den):
        return None
    return d[num] / d[den]


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



def paired_row_difference(treatment: Dict[str, Any], baseline: Dict[str, Any], metric: str = "average",
                          index: Optional[int] = None):
    """Paired-t difference ``treatment - baseline`` over the seeds both rows have (``metric`` ``average``,
    ``val`` or ``mAP`` with ``index``); ``None`` without a common seed."""
    return row_contrast([treatment], [baseline], metric, index)


def row_contrast(plus: Sequence[Dict[str, Any]], minus: Sequence[Dict[str, Any]], metric: str = "average",
                 index: Optional[int] = None):
    """Paired-t interval of ``sum(plus rows) - sum(minus rows)`` per seed, over the seeds where every row has a
    value (in the first row's seed order); ``None`` without such a seed. One row each: a paired difference;
    two each: an interaction, (a - b) - (c - d) = (a + d) - (b + c)."""
    from tal_pyg.evaluation.paired import paired_difference

    def get(row: Dict[str, Any], s: str) -> Optional[float]:
        v = row["by_seed"][s][metric]
        return v[index] if index is not None else v

    everyone = [*plus, *minus]
    seeds = [s for s in everyone[0]["by_seed"] if all(s in r["by_seed"] and get(r, s) is not None for r in everyone)]
    if not seeds:
        return None
    return paired_difference([sum(get(r, s) for r in plus) for s in seeds],
                             [sum(get(r, s) for r in minus) for s in seeds])
