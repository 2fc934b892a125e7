r"""Post-processing: from per-snippet class activations to scored temporal proposals (numpy).

Proposals are float64 arrays ``[P, 4]`` with columns ``(class_index, score, start_s, end_s)``; a
proposal over (upsampled) steps ``[s, e]`` spans ``[s * delta, (e + 1) * delta)`` seconds with
``delta = snippet_seconds / upsample`` (docs/method.md#snippets-seconds-and-sampling).

Pipeline of one video: :func:`select_classes` -> :func:`minmax_normalize` -> :func:`generate_proposals`
(:func:`upsample_linear`, :func:`consecutive_runs` over all (class, threshold) rows at once,
:func:`outer_inner_scores`) -> :func:`class_nms` / :func:`soft_nms`. :func:`cas_to_proposals` runs the
BaS-Net recipe (:class:`ProposalConfig`) end to end.
"""
from tal_pyg.postprocess.contrast import SCORE_FORMS, outer_inner_scores
from tal_pyg.postprocess.grouping import consecutive_runs
from tal_pyg.postprocess.nms import class_nms, soft_nms
from tal_pyg.postprocess.normalize import minmax_normalize
from tal_pyg.postprocess.proposals import (
    DEFAULT_ACT_THRESHOLDS,
    ProposalConfig,
    cas_to_proposals,
    generate_proposals,
    select_classes,
    steps_to_seconds,
    suppress,
)
from tal_pyg.postprocess.smoothing import gaussian_kernel_1d, gaussian_smooth_1d
from tal_pyg.postprocess.upsample import upsample_linear

__all__ = [
    "DEFAULT_ACT_THRESHOLDS",
    "ProposalConfig",
    "SCORE_FORMS",
    "cas_to_proposals",
    "class_nms",
    "consecutive_runs",
    "gaussian_kernel_1d",
    "gaussian_smooth_1d",
    "generate_proposals",
    "minmax_normalize",
    "outer_inner_scores",
    "select_classes",
    "soft_nms",
    "steps_to_seconds",
    "suppress",
    "upsample_linear",
]
