"""Evaluation: ActivityNet-exact detection mAP, video classification mAP, result files.

>>> from tal_pyg.evaluation import detection_map
>>> result = detection_map("gt.json", "results.json", "thumos14", subset="test")  # doctest: +SKIP
>>> result.mAP, result.average_mAP  # doctest: +SKIP
"""
from tal_pyg.evaluation.classification import average_precision, classification_map
from tal_pyg.evaluation.detection import (
    DetectionResult,
    detection_map,
    interpolated_average_precision,
    match_predictions,
)
from tal_pyg.evaluation.ground_truth import GroundTruth, load_ambiguous, load_ground_truth
from tal_pyg.evaluation.predictions import (
    Predictions,
    load_predictions,
    results_from_proposals,
    write_predictions,
)
from tal_pyg.evaluation.tiou import (
    TIOU_PRESETS,
    pairwise_tiou,
    resolve_tiou_thresholds,
    segment_tiou,
)

__all__ = [
    "detection_map",
    "DetectionResult",
    "match_predictions",
    "interpolated_average_precision",
    "classification_map",
    "average_precision",
    "GroundTruth",
    "Predictions",
    "load_ground_truth",
    "load_predictions",
    "load_ambiguous",
    "write_predictions",
    "results_from_proposals",
    "TIOU_PRESETS",
    "resolve_tiou_thresholds",
    "pairwise_tiou",
    "segment_tiou",
]
