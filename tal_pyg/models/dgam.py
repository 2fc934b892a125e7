"""DGAM: discriminative and generative attention modelling (Shi et al., CVPR 2020).

Decisions where the papers are silent: docs/method.md#host-frameworks; departures from the released code:
docs/departures.md.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Literal, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tal_pyg.models.base import (
    SnippetSeconds,
    TrainingPhase,
    WTALHead,
    check_labels,
    check_positive_ints,
    config_from,
    normalise_labels,
)
from tal_pyg.postprocess import (
    ProposalConfig,
    gaussian_smooth_1d,
    generate_proposals,
    select_classes,
    suppress,
    upsample_linear,
)
from tal_pyg.postprocess.smoothing import gaussian_smooth_padded


@dataclass
class DGAMProposalConfig(ProposalConfig):
    """DGAM's localisation (released code): per stream, classes with probability ``> 0.1`` (arg-max if
    none), sequences upsampled x20, proposal score ``inner - 0.3 (left outer + right outer)`` on the
    sequence as is (no video-score term), NMS 0.5 on the plain temporal IoU. ``thresholds`` and
    ``minmax_clip`` are not read: DGAM thresholds each stream once (``DGAMConfig.segment_thresholds``) and
    does not min-max normalise."""

    class_threshold: float = 0.1
    class_threshold_inclusive: bool = False
    upsample: int = 20
    contrast: Literal["thresholded", "raw"] = "raw"
    score_form: Literal["basnet", "dgam"] = "dgam"
    outer_weight: float = 0.3  # score = inner - 0.3 * (left outer + right outer)
    score_weight: float = 0.0
    nms_threshold: float = 0.5


@dataclass
class DGAMConfig:
    """Every hyper-parameter of DGAM (defaults: the reference code on THUMOS'14, two streams RGB / flow).

    Per-stream values are tuples with one entry per stream. The training schedule belongs to the
    experiment configs (``experiments/configs/base/heads/dgam.yaml``); the reference code's ActivityNet1.2
    values are in ``experiments/configs/activitynet12_dgam.yaml``.
    """

    num_streams: int = 2  # the input's channels are split into this many equal streams (RGB | flow)
    stream_names: Tuple[str, ...] = ("rgb", "flow")
    # architecture (per stream)
    attention_hidden_channels: int = 256  # attention: Linear D -> 256, ReLU, Linear 256 -> 1, sigmoid
    latent_channels: int = 128  # CVAE latent size
    cvae_hidden_channels: int = 128  # CVAE encoder / decoder: two hidden layers of 128
    # attention-model losses: sum over streams of
    #   fg_w * L_fg + bg_w * L_bg + guide_w * L_guide + warm-up * recon_w * L_recon
    fg_pool_eps: float = 1.0  # x_fg = sum(lambda x) / (sum(lambda) + 1) in training (reference code)
    bg_pool_eps: float = 1e-6  # x_bg = sum((1 - lambda) x) / (sum(1 - lambda) + 1e-6)
    fg_weights: Tuple[float, ...] = (1.0, 1.0)  # released code, THUMOS'14 (a pre-release commit has RGB 1.5)
    bg_weight: float = 0.03
    guide_weight: float = 0.1
    guide_sigma: float = 1.0  # Gaussian smoothing (in snippets) of the temporal CAM of the guide loss
    recon_weights: Tuple[float, ...] = (0.5, 0.3)
    recon_warmup_iterations: int = 1800  # linear warm-up of L_recon (300 epochs x 6 iterations on THUMOS'14)
    # CVAE loss: cvae_w * warm-up * (MSE + kl_w * KL(q(z | x, lambda) || N(lambda, I)))
    cvae_loss_weight: float = 10.0
    kl_weight: float = 0.1
    cvae_warmup_iterations: int = 1800
    # localisation (docs/method.md#host-frameworks)
    stream_weights: Tuple[float, ...] = (0.35, 0.65)  # T-CAM fusion RGB : flow
    attention_mix: float = 0.2  # active where (1 - mix) * wtCAM + mix * lambda^2 > segment threshold
    segment_thresholds: Tuple[float, ...] = (0.03, 0.08)
    threshold_smoothing_sigma: float = 0.0  # Gaussian smoothing of that signal (upsampled steps); ANet: 25
    proposal: DGAMProposalConfig = field(default_factory=DGAMProposalConfig)

    #: flat localisation keys of earlier configs -> their field of ``proposal`` (read with a warning)
    FLAT_PROPOSAL_KEYS: ClassVar[Dict[str, str]] = {
        "class_threshold": "class_threshold", "argmax_if_none": "argmax_if_none", "upsample": "upsample",
        "oic_margin_ratio": "margin_ratio", "outer_weight": "outer_weight", "nms_threshold": "nms_threshold",
        "nms_length_offset": "nms_length_offset", "soft_nms": "soft_nms", "soft_nms_sigma": "soft_nms_sigma",
    }

    def __post_init__(self) -> None:
        check_positive_ints(self, ("num_streams", "attention_hidden_channels", "latent_channels",
                               "cvae_hidden_channels"))
        for name in ("stream_names", "fg_weights", "recon_weights", "stream_weights", "segment_thresholds"):
            if len(getattr(self, name)) != self.num_streams:
                raise ValueError(
                    f"DGAMConfig.{name} needs one value per stream ({self.num_streams}), got {getattr(self, name)!r}"
                )
        if any(w < 0 for w in self.stream_weights) or sum(self.stream_weights) <= 0:
            raise ValueError(f"DGAMConfig.stream_weights must be >= 0 with a positive sum, got {self.stream_weights}")
        if self.recon_warmup_iterations < 0 or self.cvae_warmup_iterations < 0:
            raise ValueError("DGAMConfig: warm-up lengths must be >= 0")



class DGAMStream(nn.Module):
    r"""The networks of one DGAM stream: classifier ``D -> C + 1``, attention ``D -> 256 -> 1`` (sigmoid),
    CVAE encoder ``[x, lambda] -> h -> h -> (mu, log sigma^2)`` and decoder ``[z, lambda] -> h -> h -> x``."""

    def __init__(self, in_channels: int, num_classes: int, cfg: DGAMConfig) -> None:
        super().__init__()
        h, lat = cfg.cvae_hidden_channels, cfg.latent_channels
        self.latent_channels = lat
        self.classifier = nn.Linear(in_channels, num_classes + 1)
        self.attention = nn.Sequential(
            nn.Linear(in_channels, cfg.attention_hidden_channels), nn.ReLU(),
            nn.Linear(cfg.attention_hidden_channels, 1), nn.Sigmoid(),
        )
        self.encoder = nn.Sequential(nn.Linear(in_channels + 1, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                                     nn.Linear(h, 2 * lat))
        self.decoder = nn.Sequential(nn.Linear(lat + 1, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                                     nn.Linear(h, in_channels))

    def encode(self, x: Tensor, lam: Tensor) -> Tuple[Tensor, Tensor]:
        out = self.encoder(torch.cat([x, lam.unsqueeze(-1)], dim=-1))
        return out[..., : self.latent_channels], out[..., self.latent_channels:]

    def decode(self, z: Tensor, lam: Tensor) -> Tensor:
        return self.decoder(torch.cat([z, lam.unsqueeze(-1)], dim=-1))


class DGAMHead(WTALHead):
    r"""DGAM (docs/method.md#host-frameworks): per stream, a frame attention :math:`\lambda_t` pools the features for a
    (C + 1)-way classifier, and a conditional VAE models :math:`p(x_t \mid \lambda_t)` so that the
    attention must also *explain* the features (separating action from context).

    .. math::
        x^{fg} = \frac{\sum_t \lambda_t x_t}{\sum_t \lambda_t + 1},\quad
        x^{bg} = \frac{\sum_t (1-\lambda_t) x_t}{\sum_t (1-\lambda_t) + 10^{-6}}

    .. math::
        \mathcal{L}_{model} = \sum_s w^{fg}_s \mathrm{CE}(x^{fg}, [y, 0]/\Sigma y) + 0.03\,\mathrm{CE}(x^{bg}, bg)
        + 0.1\,\mathrm{mean}_t\big(|\lambda_t - g^{fg}_t| + |\lambda_t - g^{bg}_t|\big)
        + \omega(i)\, w^{rec}_s \lVert D(z, \lambda) - x \rVert^2,\ z \sim \mathcal{N}(\lambda, I)

    with :math:`g^{fg}_t = \max_c y_c \tilde p_{t,c}`, :math:`g^{bg}_t = 1 - \tilde p_{t,bg}`, :math:`\tilde p` the
    softmax temporal CAM :math:`x_t W^\top` (no bias), Gaussian-smoothed over time and detached, and

    .. math::
        \mathcal{L}_{cvae} = 10\,\omega(i) \big(\mathrm{MSE}(D(z, \lambda), x) + 0.1\,
        \mathrm{KL}(\mathcal{N}(\mu, \sigma^2) \Vert \mathcal{N}(\lambda, I))\big),\ z \sim q(z \mid x, \lambda)

    (``omega(i)``: linear warm-up). Two training phases (:class:`~tal_pyg.models.base.TrainingPhase`):
    ``"cvae"`` (CVAE parameters; the attention and features are constants) and ``"model"``
    (classifier + attention; the CVAE is only used).

    Args:
        in_channels: ``D``, split into ``num_streams`` equal streams (``[RGB | flow]`` for I3D).
        num_classes: ``C``.
        config: :class:`DGAMConfig`.

    Shapes (``S`` streams of ``D_s`` channels): output dict ``attention`` ``[S, B, T]``, ``logits_fg`` /
    ``logits_bg`` / ``video_logits`` ``[S, B, C + 1]``, ``tcam`` ``[S, B, T, C + 1]`` (detached),
    ``cvae_mean`` / ``cvae_log_var`` ``[S, B, T, latent]``, ``cvae_recon`` / ``prior_recon`` / ``inputs``
    ``[S, B, T, D_s]``, ``mask`` ``[B, T]``. Loss terms (phase ``"model"``): ``total``, ``fg_<stream>``,
    ``bg_<stream>``, ``guide_<stream>``, ``recon_<stream>``; (phase ``"cvae"``): ``total``, ``mse_<stream>``,
    ``kl_<stream>``.
    """

    def __init__(self, in_channels: int, num_classes: int, config: Optional[DGAMConfig] = None) -> None:
        super().__init__(in_channels, num_classes)
        self.config = cfg = config_from(config, DGAMConfig, "DGAMHead")
        self.proposal_config = dataclasses.replace(cfg.proposal)  # a copy: editing it leaves the config alone
        if in_channels % cfg.num_streams:
            raise ValueError(
                f"DGAMHead: in_channels ({in_channels}) must split into {cfg.num_streams} equal streams"
            )
        self.stream_channels = in_channels // cfg.num_streams
        self.streams = nn.ModuleList(DGAMStream(self.stream_channels, num_classes, cfg) for _ in range(cfg.num_streams))
        self._iteration = 0

    @property
    def input_streams(self) -> List[Tuple[int, int]]:
        d = self.stream_channels
        return [(s * d, (s + 1) * d) for s in range(self.config.num_streams)]

    def training_phases(self) -> List[TrainingPhase]:
        cvae, model = [], []
        for st in self.streams:
            cvae += list(st.encoder.parameters()) + list(st.decoder.parameters())
            model += list(st.classifier.parameters()) + list(st.attention.parameters())
        return [
            TrainingPhase("cvae", [p for p in cvae if p.requires_grad], trains_input=False),
            TrainingPhase("model", [p for p in model if p.requires_grad], trains_input=True),
        ]

    def on_train_iteration(self, iteration: int) -> None:
        self._iteration = int(iteration)

    def warmup(self, length: int) -> float:
        """Linear warm-up factor ``min(i, length) / length`` at the current iteration (1 if ``length == 0``)."""
        return 1.0 if length == 0 else min(self._iteration, length) / length

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        cfg = self.config
        x, mask = self.prepare_input(x, mask)
        mf = mask.to(x.dtype)
        tiny = torch.finfo(x.dtype).tiny
        keys = ("attention", "logits_fg", "logits_bg", "video_logits", "tcam", "cvae_mean", "cvae_log_var",
                "cvae_recon", "prior_recon", "inputs")
        out: Dict[str, List[Tensor]] = {k: [] for k in keys}
        for (lo, hi), st in zip(self.input_streams, self.streams):
            xs = x[..., lo:hi]
            lam = st.attention(xs).squeeze(-1) * mf  # [B, T]
            weighted = (xs * lam.unsqueeze(-1)).sum(dim=1)
            x_fg = weighted / (lam.sum(dim=1, keepdim=True) + cfg.fg_pool_eps)
            inv = (1.0 - lam) * mf
            x_bg = (xs * inv.unsqueeze(-1)).sum(dim=1) / (inv.sum(dim=1, keepdim=True) + cfg.bg_pool_eps)
            x_video = weighted / lam.sum(dim=1, keepdim=True).clamp_min(tiny)  # inference pooling
            out["attention"].append(lam)
            out["logits_fg"].append(st.classifier(x_fg))
            out["logits_bg"].append(st.classifier(x_bg))
            out["video_logits"].append(st.classifier(x_video))
            out["tcam"].append(xs.detach() @ st.classifier.weight.detach().t())
            # CVAE: posterior path (trains the CVAE; attention and features are constants) ...
            mean, log_var = st.encode(xs.detach(), lam.detach())
            z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
            out["cvae_mean"].append(mean)
            out["cvae_log_var"].append(log_var)
            out["cvae_recon"].append(st.decode(z, lam.detach()))
            # ... and prior path z ~ N(lambda, I) (trains the attention through the frozen decoder)
            z_prior = torch.randn(lam.shape + (st.latent_channels,), dtype=x.dtype, device=x.device) + lam.unsqueeze(-1)
            out["prior_recon"].append(st.decode(z_prior, lam))
            out["inputs"].append(xs)
        result = {k: torch.stack(v) for k, v in out.items()}
        result["mask"] = mask
        return result

    def _stream_name(self, s: int) -> str:
        return self.config.stream_names[s]

    def loss(self, output: Dict[str, Tensor], y: Tensor, phase: str = "model") -> Dict[str, Tensor]:
        cfg = self.config
        C = self.num_classes
        mask = output["mask"]
        mf = mask.to(output["attention"].dtype)
        n_snippets = mf.sum()
        y = check_labels(y, mask.shape[0], C, "DGAMHead.loss").to(mf.dtype)
        terms: Dict[str, Tensor] = {}
        total = torch.zeros((), dtype=mf.dtype, device=mf.device)
        if phase == "cvae":
            warm = cfg.cvae_loss_weight * self.warmup(cfg.cvae_warmup_iterations)
            for s in range(cfg.num_streams):
                name = self._stream_name(s)
                target = output["inputs"][s].detach()
                sq = ((output["cvae_recon"][s] - target) ** 2).sum(dim=-1)
                mse = (sq * mf).sum() / (n_snippets * target.shape[-1])
                mean, log_var = output["cvae_mean"][s], output["cvae_log_var"][s]
                lam = output["attention"][s].detach().unsqueeze(-1)
                kl_el = -0.5 * (1.0 + log_var - (mean - lam) ** 2 - log_var.exp())
                kl = (kl_el.sum(dim=-1) * mf).sum() / (n_snippets * mean.shape[-1])
                terms[f"mse_{name}"], terms[f"kl_{name}"] = mse, kl
                total = total + warm * (mse + cfg.kl_weight * kl)
            return {"total": total, **terms}
        if phase != "model":
            raise ValueError(f"DGAMHead.loss: unknown phase {phase!r} (phases: 'cvae', 'model')")
        gt = normalise_labels(torch.cat([y, torch.zeros_like(y[:, :1])], dim=1))
        warm = self.warmup(cfg.recon_warmup_iterations)
        lengths = mask.sum(dim=1)
        for s in range(cfg.num_streams):
            name = self._stream_name(s)
            lam = output["attention"][s]
            fg = -(gt * F.log_softmax(output["logits_fg"][s], dim=-1)).sum(dim=-1).mean()
            bg = -F.log_softmax(output["logits_bg"][s], dim=-1)[:, C].mean()
            with torch.no_grad():
                p = gaussian_smooth_padded(output["tcam"][s].softmax(dim=-1), lengths, cfg.guide_sigma)
                g_fg = (p[..., :C] * y.unsqueeze(1)).amax(dim=-1)
                g_bg = 1.0 - p[..., C]
            guide = ((((lam - g_fg).abs() + (lam - g_bg).abs()) * mf).sum()) / n_snippets
            xs = output["inputs"][s]
            recon = (((output["prior_recon"][s] - xs) ** 2).sum(dim=-1) * mf).sum() / (n_snippets * xs.shape[-1])
            terms.update({f"fg_{name}": fg, f"bg_{name}": bg, f"guide_{name}": guide, f"recon_{name}": recon})
            total = total + (cfg.fg_weights[s] * fg + cfg.bg_weight * bg + cfg.guide_weight * guide
                             + warm * cfg.recon_weights[s] * recon)
        return {"total": total, **terms}

    def snippet_scores(self, output: Dict[str, Tensor]) -> Tensor:
        """The attention weight of each snippet, one row per stream: ``[S, B, T]``."""
        return output["attention"]

    def stream_probabilities(self, output: Dict[str, Tensor]) -> Tensor:
        """``[S, B, C]``: each stream's softmax (over ``C + 1``) of the attention-pooled video, action classes."""
        return output["video_logits"].softmax(dim=-1)[..., : self.num_classes]

    def video_scores(self, output: Dict[str, Tensor]) -> Tensor:
        """Stream probabilities averaged with ``stream_weights`` (normalised): ``[B, C]``."""
        w = torch.as_tensor(self.config.stream_weights, dtype=output["video_logits"].dtype,
                            device=output["video_logits"].device)
        return torch.einsum("s,sbc->bc", w / w.sum(), self.stream_probabilities(output))

    def cas(self, output: Dict[str, Tensor]) -> Tensor:
        r"""The weighted T-CAM fused over the streams, ``[B, T, C]``:
        :math:`\sum_s w_s \lambda_{s,t} \sigma(\mathrm{tCAM}_{s,t,c}) / \sum_s w_s` (``stream_weights``)."""
        tcam = output["tcam"][..., : self.num_classes]  # [S, B, T, C]
        w = torch.as_tensor(self.config.stream_weights, dtype=tcam.dtype, device=tcam.device)
        weighted = output["attention"].unsqueeze(-1) * torch.sigmoid(tcam)
        return torch.einsum("s,sbtc->btc", w / w.sum(), weighted)

    def predict(self, output: Dict[str, Tensor], snippet_seconds: SnippetSeconds,
                lengths: Optional[Tensor] = None) -> List[np.ndarray]:
        r"""DGAM localisation (docs/method.md#host-frameworks), per stream ``s`` and selected class
        ``c`` (classes with probability ``> 0.1`` in that stream), on sequences upsampled ``x20``:

        * ``wtCAM_s = lambda_s * sigmoid(tCAM_s)``; active where
          ``(1 - mix) * wtCAM_s + mix * lambda_s^2 > threshold_s``;
        * score sequence ``lambda_s^2 * sum_o w_o sigmoid(tCAM_o)`` (the fused T-CAM, reference code);
        * proposal score ``inner - 0.3 * (left outer + right outer)`` (DGAM form);

        then the proposals of all streams together go through class-wise NMS (0.5).
        """
        cfg, pc = self.config, self.proposal_config
        C = self.num_classes
        att = output["attention"].detach().double().cpu().numpy()  # [S, B, T]
        sig = torch.sigmoid(output["tcam"][..., :C].detach().double()).cpu().numpy()  # [S, B, T, C]
        probs = self.stream_probabilities(output).detach().double().cpu().numpy()  # [S, B, C]
        w = np.asarray(cfg.stream_weights, dtype=np.float64)
        w = w / w.sum()
        S, B, T = att.shape
        out = []
        for b, n, sec in self.iter_videos(output, snippet_seconds, lengths, B, T):
            fused = np.einsum("s,stc->tc", w, sig[:, b, :n])
            found = []
            for s in range(S):
                classes = select_classes(probs[s, b], pc.class_threshold, inclusive=pc.class_threshold_inclusive,
                                         argmax_if_none=pc.argmax_if_none)
                if classes.size == 0:
                    continue
                lam = att[s, b, :n]
                signal = lam[:, None] * sig[s, b, :n][:, classes]
                score = lam[:, None] ** 2 * fused[:, classes] if S > 1 else signal
                up_signal = upsample_linear(signal, pc.upsample)
                up_lam = upsample_linear(lam, pc.upsample)
                active_on = (1.0 - cfg.attention_mix) * up_signal + cfg.attention_mix * up_lam[:, None] ** 2
                if cfg.threshold_smoothing_sigma > 0:
                    active_on = gaussian_smooth_1d(active_on, cfg.threshold_smoothing_sigma, axis=0)
                found.append(generate_proposals(
                    upsample_linear(score, pc.upsample), classes, np.zeros(classes.size),
                    [cfg.segment_thresholds[s]], snippet_seconds=sec / pc.upsample, upsample=1,
                    threshold_on=active_on, contrast=pc.contrast, score_form=pc.score_form,
                    margin_ratio=pc.margin_ratio, outer_weight=pc.outer_weight, score_weight=pc.score_weight,
                    min_length=pc.min_length, short_runs_in_signal=pc.short_runs_in_signal,
                ))
            props = np.concatenate(found) if found else np.zeros((0, 4))
            out.append(suppress(props, pc.nms_threshold, use_soft_nms=pc.soft_nms,
                                soft_nms_sigma=pc.soft_nms_sigma, length_offset=pc.nms_length_offset))
        return out
