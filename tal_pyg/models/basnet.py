"""BaS-Net: Background Suppression Network (Lee, Uh & Byun, AAAI 2020).

Decisions where the papers are silent: docs/method.md#host-frameworks; departures from the released code:
docs/departures.md.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tal_pyg.models.base import (
    SnippetSeconds,
    WTALHead,
    check_labels,
    check_positive_ints,
    config_from,
    normalise_labels,
)
from tal_pyg.models.functional import masked_topk_mean, ratio_k
from tal_pyg.models.layers import Conv1dTime
from tal_pyg.postprocess import ProposalConfig, cas_to_proposals


@dataclass
class BaSNetProposalConfig(ProposalConfig):
    """BaS-Net's localisation (released code): classes with ``p_supp >= 0.25`` and no fallback when none
    passes, the thresholds 0, 0.025, ..., 0.225 on the min-max normalised (not clipped) CAS upsampled x24,
    score = outer-inner contrast + 0.2 ``p_supp`` (real, not binarised), NMS 0.7 with the reference
    nms' "+1" length convention."""

    argmax_if_none: bool = False  # reference code: no fallback when no class passes
    nms_length_offset: float = 1.0


@dataclass
class BaSNetConfig:
    """Every hyper-parameter of BaS-Net (defaults: the paper / reference code on THUMOS'14).

    The training schedule (T, optimiser, batch, iterations) and the per-dataset values live in the
    experiment configs (``experiments/configs/base/heads/basnet.yaml`` and ``<dataset>_basnet.yaml``).
    """

    # architecture
    filter_hidden_channels: int = 512  # filter module: 1x1 conv D -> 512 -> 1
    hidden_channels: int = 2048  # CAS module: conv k=3 D -> 2048 -> 2048, 1x1 -> C + 1
    kernel_size: int = 3
    dropout: float = 0.7
    negative_slope: float = 0.01  # LeakyReLU
    # video score and losses
    topk_ratio: float = 8.0  # k = max(1, T // 8) snippets in the top-k mean
    norm_weight: float = 1e-4  # alpha of the L1 norm of the foreground weights
    # localisation (docs/method.md#host-frameworks)
    proposal: BaSNetProposalConfig = field(default_factory=BaSNetProposalConfig)

    #: flat localisation keys of earlier configs -> their field of ``proposal`` (read with a warning)
    FLAT_PROPOSAL_KEYS: ClassVar[Dict[str, str]] = {
        "class_threshold": "class_threshold", "argmax_if_none": "argmax_if_none", "act_thresholds": "thresholds",
        "minmax_clip": "minmax_clip", "upsample": "upsample", "oic_margin_ratio": "margin_ratio",
        "video_score_weight": "score_weight", "min_length": "min_length", "nms_threshold": "nms_threshold",
        "nms_length_offset": "nms_length_offset", "soft_nms": "soft_nms", "soft_nms_sigma": "soft_nms_sigma",
    }

    def __post_init__(self) -> None:
        check_positive_ints(self, ("filter_hidden_channels", "hidden_channels", "kernel_size"))
        if self.kernel_size % 2 != 1:
            raise ValueError(f"BaSNetConfig.kernel_size must be odd (same-length output), got {self.kernel_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"BaSNetConfig.dropout must be in [0, 1), got {self.dropout}")
        if self.topk_ratio <= 0:
            raise ValueError(f"BaSNetConfig.topk_ratio must be > 0, got {self.topk_ratio}")


class BaSNetHead(WTALHead):
    r"""BaS-Net (docs/method.md#host-frameworks): a filter module predicts a foreground weight per
    snippet; a shared CAS module scores the original features (base branch, with a background class)
    and the filtered features (suppression branch, where the background class should vanish).

    .. math::
        w_t = \sigma(W_2\,\mathrm{LReLU}(W_1 f_t)),\quad
        A^{base} = \mathrm{CAS}(F),\quad A^{supp} = \mathrm{CAS}(w \odot F),\quad
        p^{\{base,supp\}} = \mathrm{softmax}_c\Big(\tfrac{1}{k}\textstyle\sum_{\mathrm{top}\text{-}k\ t} A_{t,c}\Big)

    with ``CAS = conv3(D->H) . LReLU . conv3(H->H) . LReLU . dropout . conv1(H->C+1, no bias)``, ``k = T // 8``.

    .. math::
        \mathcal{L} = \mathrm{BCE}(p^{base}, [y, 1] / \Sigma) + \mathrm{BCE}(p^{supp}, [y, 0] / \Sigma)
                      + \alpha\, \mathrm{mean}_b \textstyle\sum_t |w_t|

    Args:
        in_channels: ``D`` (2048 for two-stream I3D).
        num_classes: ``C`` action classes (the background class is added inside).
        config: :class:`BaSNetConfig`.

    Shapes: ``x`` ``[B, T, D]``, ``mask`` ``[B, T]`` -> output dict:
    ``cas_base``, ``cas_supp`` ``[B, T, C + 1]`` (logits), ``score_base``, ``score_supp`` ``[B, C + 1]``
    (softmax), ``foreground_weight`` ``[B, T]``, ``mask`` ``[B, T]``.
    Loss terms: ``total``, ``base``, ``supp``, ``norm``.
    """

    def __init__(self, in_channels: int, num_classes: int, config: Optional[BaSNetConfig] = None) -> None:
        super().__init__(in_channels, num_classes)
        self.config = cfg = config_from(config, BaSNetConfig, "BaSNetHead")
        self.proposal_config = dataclasses.replace(cfg.proposal)  # a copy: editing it leaves the config alone
        slope = cfg.negative_slope
        self.filter_module = nn.Sequential(
            Conv1dTime(in_channels, cfg.filter_hidden_channels, 1), nn.LeakyReLU(slope),
            Conv1dTime(cfg.filter_hidden_channels, 1, 1), nn.Sigmoid(),
        )
        self.cas_conv1 = Conv1dTime(in_channels, cfg.hidden_channels, cfg.kernel_size)
        self.cas_conv2 = Conv1dTime(cfg.hidden_channels, cfg.hidden_channels, cfg.kernel_size)
        self.cas_classifier = Conv1dTime(cfg.hidden_channels, num_classes + 1, 1, bias=False)
        self.act = nn.LeakyReLU(slope)
        self.dropout = nn.Dropout(cfg.dropout)

    def cas_module(self, x: Tensor, mask: Tensor) -> Tensor:
        """The shared CAS module: ``[B, T, D]`` -> ``[B, T, C + 1]``; intermediate padding kept at zero."""
        m = mask.unsqueeze(-1).to(x.dtype)
        h = self.act(self.cas_conv1(x)) * m
        h = self.act(self.cas_conv2(h)) * m
        return self.cas_classifier(self.dropout(h)) * m

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        x, mask = self.prepare_input(x, mask)
        w = self.filter_module(x).squeeze(-1) * mask.to(x.dtype)  # [B, T]
        cas_base = self.cas_module(x, mask)
        cas_supp = self.cas_module(x * w.unsqueeze(-1), mask)
        k = ratio_k(mask.sum(dim=1), self.config.topk_ratio)
        return {
            "cas_base": cas_base,
            "cas_supp": cas_supp,
            "score_base": masked_topk_mean(cas_base, mask, k).softmax(dim=-1),
            "score_supp": masked_topk_mean(cas_supp, mask, k).softmax(dim=-1),
            "foreground_weight": w,
            "mask": mask,
        }

    def loss(self, output: Dict[str, Tensor], y: Tensor, phase: str = "model") -> Dict[str, Tensor]:
        if phase != "model":
            raise ValueError(f"BaSNetHead.loss: unknown phase {phase!r} (this head has one phase, 'model')")
        score_base, score_supp = output["score_base"], output["score_supp"]
        y = check_labels(y, score_base.shape[0], self.num_classes, "BaSNetHead.loss").to(score_base.dtype)
        ones = torch.ones_like(y[:, :1])
        base = F.binary_cross_entropy(score_base, normalise_labels(torch.cat([y, ones], dim=1)))
        supp = F.binary_cross_entropy(score_supp, normalise_labels(torch.cat([y, 0 * ones], dim=1)))
        norm = output["foreground_weight"].abs().sum(dim=1).mean()
        total = base + supp + self.config.norm_weight * norm
        return {"total": total, "base": base, "supp": supp, "norm": norm}

    def snippet_scores(self, output: Dict[str, Tensor]) -> Tensor:
        """Highest action-class probability of the suppression-branch CAS (softmax over ``C + 1``): ``[B, T]``."""
        return output["cas_supp"].softmax(dim=-1)[..., : self.num_classes].amax(dim=-1)

    def video_scores(self, output: Dict[str, Tensor]) -> Tensor:
        """Suppression-branch video probabilities of the ``C`` action classes: ``[B, C]``."""
        return output["score_supp"][:, : self.num_classes]

    def cas(self, output: Dict[str, Tensor]) -> Tensor:
        """The suppression-branch CAS of the ``C`` action classes (background left out): ``[B, T, C]``."""
        return output["cas_supp"][..., : self.num_classes]

    def predict(self, output: Dict[str, Tensor], snippet_seconds: SnippetSeconds,
                lengths: Optional[Tensor] = None) -> List[np.ndarray]:
        """BaS-Net localisation (docs/method.md#host-frameworks) on the suppression-branch CAS, min-max
        normalised per class over the real snippets with the bounds clamped at 0 and, as in the released
        code, not clipped to [0, 1] (``minmax_clip``; docs/departures.md)."""
        cas = self.cas(output).detach().double().cpu().numpy()
        scores = self.video_scores(output).detach().double().cpu().numpy()
        return [
            cas_to_proposals(cas[b, :n], scores[b], sec, self.proposal_config)
            for b, n, sec in self.iter_videos(output, snippet_seconds, lengths, cas.shape[0], cas.shape[1])
        ]
