"""Inference over a dataset split: detections in the ActivityNet result format, video scores, metrics."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from tal_pyg.training.data import load_items
from tal_pyg.training.distributed import DistributedContext


@dataclass
class SplitPredictions:
    """Detections and video-level scores for a list of videos."""

    results: Dict[str, List[Dict[str, Any]]]  # ActivityNet result format, per video
    video_names: List[str]
    video_scores: np.ndarray  # [N, C]
    labels: np.ndarray  # [N, C]


def proposals_to_detections(proposals: np.ndarray, class_names: Sequence[str]) -> List[Dict[str, Any]]:
    """[P, 4] (class, score, start_s, end_s) rows -> ActivityNet result entries, highest score first."""
    from tal_pyg.evaluation import results_from_proposals

    proposals = np.asarray(proposals, dtype=np.float64).reshape(-1, 4)
    ranked = proposals[np.argsort(-proposals[:, 1], kind="stable")]
    return results_from_proposals({"video": ranked}, class_names)["video"]


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if hasattr(model, "module") else model  # type: ignore[return-value]


@torch.no_grad()
def predict_split(
    model: torch.nn.Module,
    dataset,
    indices: Sequence[int],
    transform,
    class_names: Sequence[str],
    device: torch.device,
    batch_size: int = 8,
    ctx: Optional[DistributedContext] = None,
) -> SplitPredictions:
    """Run ``model`` on the videos ``indices`` of ``dataset``; with ``ctx``, each rank does its share and
    the results are gathered on every rank."""
    from tal_pyg.datasets import DenseBatch

    ctx = ctx or DistributedContext()
    head = unwrap(model)
    was_training = head.training
    head.eval()
    mine = list(indices)[ctx.rank::ctx.world_size]
    results: Dict[str, List[Dict[str, Any]]] = {}
    names: List[str] = []
    scores: List[np.ndarray] = []
    labels: List[np.ndarray] = []
    for start in range(0, len(mine), batch_size):
        items = load_items(dataset, mine[start:start + batch_size], transform)
        batch = DenseBatch.from_data_list(items).to(device)
        output = head(batch.x, batch.mask)
        lengths = batch.mask.sum(dim=1) if batch.mask is not None else None
        proposals = head.predict(output, batch.snippet_seconds, lengths)
        vs = head.video_scores(output).float().cpu().numpy()
        for b, name in enumerate(batch.video_names):
            results[name] = proposals_to_detections(proposals[b], class_names)
            names.append(name)
        scores.append(vs)
        labels.append(batch.y.float().cpu().numpy())
    head.train(was_training)
    local = (results, names, scores, labels)
    gathered = ctx.gather_objects(local)
    all_results: Dict[str, List[Dict[str, Any]]] = {}
    all_names: List[str] = []
    all_scores: List[np.ndarray] = []
    all_labels: List[np.ndarray] = []
    for r, n, s, lab in gathered:
        all_results.update(r)
        all_names.extend(n)
        all_scores.extend(s)
        all_labels.extend(lab)
    c = len(class_names)
    return SplitPredictions(
        results=all_results,
        video_names=all_names,
        video_scores=np.concatenate(all_scores) if all_scores else np.zeros((0, c)),
        labels=np.concatenate(all_labels) if all_labels else np.zeros((0, c)),
    )


def evaluate_predictions(
    preds: SplitPredictions,
    ground_truth: Dict[str, Any],
    tiou_thresholds: np.ndarray,
    ambiguous: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Detection mAP (same keys as ``tal-pyg evaluate --json``) plus video-level classification mAP."""
    from tal_pyg.evaluation import classification_map, detection_map

    det = detection_map(ground_truth, {"results": preds.results}, tiou_thresholds=tiou_thresholds,
                        ambiguous=ambiguous)
    out = det.to_dict()
    if len(preds.video_names):
        out["classification_mAP"] = float(classification_map(preds.video_scores, preds.labels))
    return out
