"""BaM: background modelling via uncertainty estimation (Lee et al., AAAI 2021).

Decisions where the papers are silent: docs/method.md#host-frameworks; departures from the released code:
docs/departures.md.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Optional, Tuple

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
from tal_pyg.models.functional import gather_mean, masked_topk_indices, masked_topk_mean, ratio_k
from tal_pyg.models.layers import Conv1dTime
from tal_pyg.postprocess import (
    ProposalConfig,
    generate_proposals,
    minmax_normalize,
    select_classes,
    suppress,
)

#: np.arange(0.4, 0.625, 0.025): BaM's thresholds on the normalised feature magnitude
DEFAULT_MAGNITUDE_THRESHOLDS: Tuple[float, ...] = tuple(round(0.4 + 0.025 * i, 4) for i in range(9))


@dataclass
class BaMProposalConfig(ProposalConfig):
    """BaM's localisation (released UM code): classes with ``s_act >= 0.2`` (arg-max if none), both min-max
    normalisations clipped to [0, 1], runs shorter than 2 upsampled steps are not proposals but stay in the
    thresholded CAS, NMS 0.6 with the reference nms' "+1" length convention. ``thresholds`` are those on
    the CAS; BaM's second branch thresholds the magnitude (``BaMConfig.magnitude_thresholds``). ``contrast``
    is not read: the CAS branch contrasts the thresholded CAS, the magnitude branch the CAS as is."""

    class_threshold: float = 0.2
    minmax_clip: bool = True  # released UM: both min-max normalisations are clipped to [0, 1]
    min_length: int = 2
    nms_threshold: float = 0.6
    nms_length_offset: float = 1.0


@dataclass
class BaMConfig:
    """Every hyper-parameter of BaM (defaults: the paper / reference code on THUMOS'14).

    The training schedule and the per-dataset values live in the experiment configs
    (``experiments/configs/base/heads/bam.yaml`` and ``<dataset>_bam.yaml``).
    """

    # architecture
    hidden_channels: int = 2048  # embedding: conv k=3 D -> 2048 + ReLU
    kernel_size: int = 3
    dropout: float = 0.7  # before the 1x1 classifier
    # pseudo action / background snippets
    r_act: float = 9.0  # k_act = max(1, T // 9)
    r_bkg: float = 4.0  # k_bkg = max(1, T // 4)
    magnitude_dropout: float = 0.7  # dropout mask on the magnitudes before the selection (training only)
    # losses: L = L_cls + um_weight * L_um + be_weight * L_be
    feature_margin: float = 100.0  # m in max(0, m - ||mean e_act||)
    um_weight: float = 5e-4  # alpha
    be_weight: float = 1.0  # beta
    # localisation (docs/method.md#host-frameworks)
    magnitude_thresholds: Tuple[float, ...] = DEFAULT_MAGNITUDE_THRESHOLDS  # on the normalised magnitude
    proposal: BaMProposalConfig = field(default_factory=BaMProposalConfig)

    #: flat localisation keys of earlier configs -> their field of ``proposal`` (read with a warning)
    FLAT_PROPOSAL_KEYS: ClassVar[Dict[str, str]] = {
        "class_threshold": "class_threshold", "argmax_if_none": "argmax_if_none", "cas_thresholds": "thresholds",
        "minmax_clip": "minmax_clip", "upsample": "upsample", "oic_margin_ratio": "margin_ratio",
        "video_score_weight": "score_weight", "min_length": "min_length",
        "short_runs_in_signal": "short_runs_in_signal", "nms_threshold": "nms_threshold",
        "nms_length_offset": "nms_length_offset", "soft_nms": "soft_nms", "soft_nms_sigma": "soft_nms_sigma",
    }

    def __post_init__(self) -> None:
        check_positive_ints(self, ("hidden_channels", "kernel_size"))
        if self.kernel_size % 2 != 1:
            raise ValueError(f"BaMConfig.kernel_size must be odd (same-length output), got {self.kernel_size}")
        for n in ("dropout", "magnitude_dropout"):
            if not 0.0 <= getattr(self, n) < 1.0:
                raise ValueError(f"BaMConfig.{n} must be in [0, 1), got {getattr(self, n)}")
        if self.r_act <= 0 or self.r_bkg <= 0:
            raise ValueError(f"BaMConfig.r_act / r_bkg must be > 0, got {self.r_act} / {self.r_bkg}")



class BaMHead(WTALHead):
    r"""BaM (docs/method.md#host-frameworks): background snippets are out-of-distribution samples, told apart by the
    magnitude of their embedded features; no background class.

    .. math::
        e_t = \mathrm{ReLU}(\mathrm{conv3}(F))_t,\quad A = \mathrm{conv1}(\mathrm{dropout}(e)),\quad
        m_t = \lVert e_t \rVert_2

    Pseudo action snippets: the top ``T // 9`` by ``m`` (times a dropout mask during training); pseudo
    background: the top ``T // 4`` by ``max m - m``.

    .. math::
        s^{act} = \mathrm{softmax}_c\big(\mathrm{mean}_{\mathrm{top}\text{-}k_{act}}\, A_{\cdot,c}\big),\quad
        s^{bkg} = \mathrm{softmax}_c\big(\mathrm{mean}_{t \in bkg} A_{t,c}\big)

    .. math::
        \mathcal{L} = \mathrm{BCE}(s^{act}, y/\Sigma y)
        + \alpha\, \mathrm{mean}_b\big(\max(0, M - \lVert\bar e^{act}\rVert) + \lVert\bar e^{bkg}\rVert\big)^2
        + \beta\, \mathrm{BCE}(s^{bkg}, 1/C)

    Args:
        in_channels: ``D``.
        num_classes: ``C``.
        config: :class:`BaMConfig`.

    Shapes: output dict ``cas`` ``[B, T, C]`` (logits), ``cas_softmax`` ``[B, T, C]``, ``embedding``
    ``[B, T, H]``, ``magnitudes`` ``[B, T]``, ``score_act`` / ``score_bkg`` ``[B, C]``, ``feat_act_mean`` /
    ``feat_bkg_mean`` ``[B, H]`` (mean embedding of the selected snippets), ``magnitude_act`` /
    ``magnitude_bkg`` ``[B]`` (mean magnitude of the selected snippets), ``mask`` ``[B, T]``.
    Loss terms: ``total``, ``cls``, ``um``, ``be``.
    """

    def __init__(self, in_channels: int, num_classes: int, config: Optional[BaMConfig] = None) -> None:
        super().__init__(in_channels, num_classes)
        self.config = cfg = config_from(config, BaMConfig, "BaMHead")
        self.proposal_config = dataclasses.replace(cfg.proposal)  # a copy: editing it leaves the config alone
        self.embedding = Conv1dTime(in_channels, cfg.hidden_channels, cfg.kernel_size)
        self.classifier = Conv1dTime(cfg.hidden_channels, num_classes, 1, bias=False)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        cfg = self.config
        x, mask = self.prepare_input(x, mask)
        m = mask.unsqueeze(-1).to(x.dtype)
        e = torch.relu(self.embedding(x)) * m  # [B, T, H]
        cas = self.classifier(self.dropout(e)) * m  # [B, T, C]
        mag = e.norm(p=2, dim=-1)  # [B, T]
        lengths = mask.sum(dim=1)
        k_act, k_bkg = ratio_k(lengths, cfg.r_act), ratio_k(lengths, cfg.r_bkg)
        with torch.no_grad():
            keep = torch.ones_like(mag)
            if self.training and cfg.magnitude_dropout > 0:
                keep = F.dropout(keep, cfg.magnitude_dropout, training=True)
            mag_max = mag.masked_fill(~mask, float("-inf")).amax(dim=1, keepdim=True)
            idx_act, take_act = masked_topk_indices(mag * keep, mask, k_act)
            idx_bkg, take_bkg = masked_topk_indices((mag_max - mag) * keep, mask, k_bkg)
        return {
            "cas": cas,
            "cas_softmax": cas.softmax(dim=-1),
            "embedding": e,
            "magnitudes": mag,
            "score_act": masked_topk_mean(cas, mask, k_act).softmax(dim=-1),
            "score_bkg": gather_mean(cas, idx_bkg, take_bkg).softmax(dim=-1),
            "feat_act_mean": gather_mean(e, idx_act, take_act),
            "feat_bkg_mean": gather_mean(e, idx_bkg, take_bkg),
            "magnitude_act": gather_mean(mag, idx_act, take_act),
            "magnitude_bkg": gather_mean(mag, idx_bkg, take_bkg),
            "mask": mask,
        }

    def loss(self, output: Dict[str, Tensor], y: Tensor, phase: str = "model") -> Dict[str, Tensor]:
        if phase != "model":
            raise ValueError(f"BaMHead.loss: unknown phase {phase!r} (this head has one phase, 'model')")
        cfg = self.config
        s_act, s_bkg = output["score_act"], output["score_bkg"]
        y = check_labels(y, s_act.shape[0], self.num_classes, "BaMHead.loss").to(s_act.dtype)
        cls = F.binary_cross_entropy(s_act, normalise_labels(y))
        be = F.binary_cross_entropy(s_bkg, torch.full_like(s_bkg, 1.0 / self.num_classes))
        act = torch.relu(cfg.feature_margin - output["feat_act_mean"].norm(p=2, dim=-1))
        bkg = output["feat_bkg_mean"].norm(p=2, dim=-1)
        um = ((act + bkg) ** 2).mean()
        total = cls + cfg.um_weight * um + cfg.be_weight * be
        return {"total": total, "cls": cls, "um": um, "be": be}

    def snippet_scores(self, output: Dict[str, Tensor]) -> Tensor:
        """Highest class probability of the softmax CAS: ``[B, T]``."""
        return output["cas_softmax"].amax(dim=-1)

    def video_scores(self, output: Dict[str, Tensor]) -> Tensor:
        return output["score_act"]

    def cas(self, output: Dict[str, Tensor]) -> Tensor:
        """The softmax CAS ``[B, T, C]`` (localisation multiplies it by the normalised magnitude,
        :meth:`localization_scores`)."""
        return output["cas_softmax"]

    def localization_scores(self, output: Dict[str, Tensor], b: int, n: int) -> Tuple[np.ndarray, np.ndarray]:
        r"""The two sequences BaM localises with, for video ``b`` (first ``n`` snippets):

        * normalised magnitude ``\hat m = clip((m - \bar m^{bkg}) / (\bar m^{act} - \bar m^{bkg}), 0, 1)``
          (the clip as in the released UM; ``minmax_clip``)
        * CAS = per-class min-max of ``softmax(A) \cdot \hat m``.

        Returns ``(cas [n, C], magnitude [n])``.
        """
        mag = output["magnitudes"][b, :n].detach().double().cpu().numpy()
        clip = self.proposal_config.minmax_clip
        mag = minmax_normalize(mag, lower=float(output["magnitude_bkg"][b].detach()),
                               upper=float(output["magnitude_act"][b].detach()), clip=clip)
        cas = output["cas_softmax"][b, :n].detach().double().cpu().numpy() * mag[:, None]
        return minmax_normalize(cas, axis=0, clip=clip), mag

    def predict(self, output: Dict[str, Tensor], snippet_seconds: SnippetSeconds,
                lengths: Optional[Tensor] = None) -> List[np.ndarray]:
        """BaM localisation (docs/method.md#host-frameworks): proposals from thresholds on the CAS
        (outer-inner contrast on the thresholded CAS) and on the magnitude (contrast on the CAS as is),
        merged, then class-wise NMS."""
        cfg, pc = self.config, self.proposal_config
        scores = self.video_scores(output).detach().double().cpu().numpy()
        B, T = output["cas"].shape[:2]
        out = []
        for b, n, sec in self.iter_videos(output, snippet_seconds, lengths, B, T):
            classes = select_classes(scores[b], pc.class_threshold, inclusive=pc.class_threshold_inclusive,
                                     argmax_if_none=pc.argmax_if_none)
            if classes.size == 0:
                out.append(np.zeros((0, 4)))
                continue
            cas, mag = self.localization_scores(output, b, n)
            common = dict(snippet_seconds=sec, upsample=pc.upsample, score_form=pc.score_form,
                          margin_ratio=pc.margin_ratio, outer_weight=pc.outer_weight,
                          score_weight=pc.score_weight, min_length=pc.min_length,
                          short_runs_in_signal=pc.short_runs_in_signal)
            from_cas = generate_proposals(cas[:, classes], classes, scores[b, classes], pc.thresholds,
                                          contrast="thresholded", **common)
            from_mag = generate_proposals(cas[:, classes], classes, scores[b, classes], cfg.magnitude_thresholds,
                                          threshold_on=mag, contrast="raw", **common)
            out.append(suppress(np.concatenate([from_cas, from_mag]), pc.nms_threshold, use_soft_nms=pc.soft_nms,
                                soft_nms_sigma=pc.soft_nms_sigma, length_offset=pc.nms_length_offset))
        return out
