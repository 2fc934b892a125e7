"""ACGNet as a plug-in for any WTAL head (paper Eq. 5-8; docs/method.md#plugging-into-a-host)."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union, cast

import numpy as np
import torch
from torch import Tensor, nn

from tal_pyg.debug import is_debug_enabled
from tal_pyg.losses import EPM_REDUCTIONS, epm_loss
from tal_pyg.models.base import SnippetSeconds, TrainingPhase, WTALHead
from tal_pyg.nn import ACGNet

AcgnetSpec = Union[Mapping[str, Any], ACGNet, Sequence[ACGNet]]


class WithACGNet(WTALHead):
    r"""Wrap a WTAL head with ACGNet: build each video's action complement graph from the input
    features, feed the enhanced features :math:`F'` to the head, and add the easy positive mining loss.

    .. math::
        F'_s = \mathrm{ACGNet}_s(F_s),\qquad
        \mathcal{L} = \mathcal{L}_{head}(F') + \lambda_{EPM} \sum_s \mathcal{L}_{EPM}(F'_s, F_s, p_s)

    One ACGNet per input stream of the head (``head.input_streams``: one for BaS-Net / BaM, RGB and flow
    for DGAM); ``p_s`` comes from ``head.snippet_scores`` (``[B, T]``, or ``[S, B, T]`` one row per stream)
    and is detached inside :func:`~tal_pyg.losses.epm_loss`. The EPM loss is added to the total of every
    training phase whose ``trains_input`` is set, and the ACGNet parameters join those phases. With
    ``fusion="concat"`` the head sees ``[F, F_avg, F_gcn]`` (its ``in_channels`` is 3x), and the EPM loss
    uses their sum (the ``"sum"`` fusion's :math:`F'`).

    The head's code is not touched: anything implementing :class:`WTALHead` works, e.g. this custom head
    (the default :meth:`WTALHead.predict` localises on :meth:`WTALHead.cas`, ``output["cas"]``):

    >>> import torch, torch.nn.functional as F
    >>> from tal_pyg.models import WTALHead, WithACGNet
    >>> class MeanPoolHead(WTALHead):
    ...     def __init__(self, in_channels, num_classes):
    ...         super().__init__(in_channels, num_classes)
    ...         self.classifier = torch.nn.Linear(in_channels, num_classes)
    ...     def forward(self, x, mask=None):
    ...         x, mask = self.prepare_input(x, mask)      # padding zeroed, mask [B, T]
    ...         cas = self.classifier(x)                   # [B, T, C]
    ...         logits = (cas * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    ...         return {"cas": cas, "logits": logits, "mask": mask}
    ...     def loss(self, output, y, phase="model"):
    ...         return {"total": F.binary_cross_entropy_with_logits(output["logits"], y)}
    ...     def snippet_scores(self, output):              # p of the EPM loss: [B, T]
    ...         return output["cas"].softmax(-1).amax(-1)
    ...     def video_scores(self, output):                # [B, C]
    ...         return output["logits"].sigmoid()
    >>> model = WithACGNet(MeanPoolHead(64, 5), dict(k=8), epm_weight=1.0)
    >>> out = model(torch.randn(2, 40, 64))
    >>> model.loss(out, torch.eye(5)[:2])["total"].backward()
    >>> proposals = model.eval().predict(model(torch.randn(2, 40, 64)), snippet_seconds=[0.64, 0.64])
    >>> [p.shape[1] for p in proposals]                    # (class, score, start_s, end_s) rows
    [4, 4]

    Args:
        head: the WTAL head, built for the ACGNet output width (``in_channels = D``, or ``3 D`` with concat).
        acgnet_kwargs: keyword arguments of :class:`~tal_pyg.nn.ACGNet` (one ACGNet is built per stream;
            ``in_channels`` is derived), or ready ACGNet module(s), one per stream.
        epm_weight: :math:`\lambda_{EPM}` (>= 0).
        epm_reduction: ``"mean"`` (sum / (E * D), default) or ``"sum"`` (the paper's sum, / number of videos).

    Shapes: ``x`` ``[B, T, D_in]``, ``mask`` ``[B, T]`` -> the head's output dict plus, for every stream
    ``s``: ``acgnet_input_s`` ``[B, T, D_s]``, ``acgnet_output_s`` ``[B, T, out_s]``, ``acgnet_edge_index_s``
    ``[2, E_s]``, ``acgnet_edge_weight_s`` ``[E_s]``. Loss terms: the head's, plus ``epm``.
    """

    def __init__(self, head: WTALHead, acgnet_kwargs: AcgnetSpec, epm_weight: float,
                 epm_reduction: str = "mean") -> None:
        if not isinstance(head, WTALHead):
            raise TypeError(f"WithACGNet: head must be a WTALHead, got {type(head).__name__}")
        if epm_reduction not in EPM_REDUCTIONS:
            raise ValueError(f"WithACGNet: epm_reduction must be one of {EPM_REDUCTIONS}, got {epm_reduction!r}")
        if not float(epm_weight) >= 0:
            raise ValueError(f"WithACGNet: epm_weight must be >= 0, got {epm_weight!r}")
        streams = _check_streams(head)
        acgnets = _build_acgnets(acgnet_kwargs, streams)
        super().__init__(sum(a.in_channels for a in acgnets), head.num_classes)
        self.head = head
        self.acgnets = nn.ModuleList(acgnets)
        self.epm_weight = float(epm_weight)
        self.epm_reduction = epm_reduction
        self._epm_phases = {p.name for p in head.training_phases() if p.trains_input}
        if not self._epm_phases:
            raise ValueError("WithACGNet: the head has no training phase with trains_input=True to train ACGNet in")

    @property
    def config(self) -> Any:
        """The wrapped head's config."""
        return getattr(self.head, "config", None)

    @property
    def input_streams(self) -> List[Tuple[int, int]]:
        out: List[Tuple[int, int]] = []
        lo = 0
        for a in cast(List[ACGNet], list(self.acgnets)):
            out.append((lo, lo + a.in_channels))
            lo += a.in_channels
        return out

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        no_padding = mask is None
        x, mask = self.prepare_input(x, mask)
        graph_mask = None if no_padding else mask  # no mask: the graph builder skips the masking passes
        extra: Dict[str, Tensor] = {}
        enhanced = []
        for s, ((lo, hi), acg) in enumerate(zip(self.input_streams, self.acgnets)):
            xs = x[..., lo:hi]
            xe, edge_index, edge_weight = acg.forward_batch(xs, graph_mask)
            enhanced.append(xe)
            extra.update({f"acgnet_input_{s}": xs, f"acgnet_output_{s}": xe,
                          f"acgnet_edge_index_{s}": edge_index, f"acgnet_edge_weight_{s}": edge_weight})
        output = dict(self.head(enhanced[0] if len(enhanced) == 1 else torch.cat(enhanced, dim=-1), mask))
        clash = sorted(set(output) & set(extra))
        if clash:
            raise ValueError(f"WithACGNet: the head's output uses reserved keys {clash}")
        output.update(extra)
        return output

    def epm(self, output: Dict[str, Tensor]) -> Tensor:
        """:math:`\\sum_s \\mathcal{L}_{EPM}` of a forward output (0-dim tensor)."""
        p = self.head.snippet_scores(output)
        if p.dim() == 2:
            p = p.unsqueeze(0)
        num_streams = len(self.acgnets)
        if p.dim() != 3 or p.shape[0] not in (1, num_streams):
            raise ValueError(
                f"WithACGNet: head.snippet_scores must be [B, T] or [{num_streams}, B, T], got {tuple(p.shape)}"
            )
        total = None
        for s in range(num_streams):
            f = output[f"acgnet_input_{s}"]
            fe = output[f"acgnet_output_{s}"]
            B, T, D = f.shape
            if fe.shape[-1] != D:  # concat fusion: [F, F_avg, F_gcn] -> F + F_avg + F_gcn
                fe = fe.reshape(B, T, fe.shape[-1] // D, D).sum(dim=2)
            ps = p[s if p.shape[0] > 1 else 0]
            term = epm_loss(fe.reshape(B * T, D), f.reshape(B * T, D), output[f"acgnet_edge_index_{s}"],
                            ps.reshape(B * T), reduction=self.epm_reduction,
                            num_graphs=B if self.epm_reduction == "sum" else None,
                            check_values=is_debug_enabled(), sorted_by_target=True)
            total = term if total is None else total + term
        assert total is not None  # at least one stream (checked in __init__)
        return total

    def loss(self, output: Dict[str, Tensor], y: Tensor, phase: str = "model") -> Dict[str, Tensor]:
        losses = dict(self.head.loss(output, y, phase))
        if phase in self._epm_phases:
            epm = self.epm(output)
            losses["epm"] = epm
            losses["total"] = losses["total"] + self.epm_weight * epm
        return losses

    def snippet_scores(self, output: Dict[str, Tensor]) -> Tensor:
        return self.head.snippet_scores(output)

    def video_scores(self, output: Dict[str, Tensor]) -> Tensor:
        return self.head.video_scores(output)

    def cas(self, output: Dict[str, Tensor]) -> Tensor:
        return self.head.cas(output)

    def predict(self, output: Dict[str, Tensor], snippet_seconds: SnippetSeconds,
                lengths: Optional[Tensor] = None) -> List[np.ndarray]:
        return self.head.predict(output, snippet_seconds, lengths)

    def training_phases(self) -> List[TrainingPhase]:
        acg = [p for p in self.acgnets.parameters() if p.requires_grad]
        return [
            TrainingPhase(ph.name, list(ph.parameters) + (acg if ph.trains_input else []), ph.trains_input)
            for ph in self.head.training_phases()
        ]

    def on_train_iteration(self, iteration: int) -> None:
        self.head.on_train_iteration(iteration)

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for a in self.acgnets:
            a.reset_parameters()


def keep_seeded_init(num_layers: int) -> None:
    """Advance the global RNG as the throw-away ``ACGNet(1, **kwargs)`` that used to probe the output width
    here did (``num_layers`` 1 x 1 Glorot weights, each initialised twice), so that a seeded run builds the
    same initial weights as the runs behind docs/results.md. Drop it when those results are re-measured."""
    for _ in range(2 * int(num_layers)):
        torch.empty(1, 1).uniform_()


def _check_streams(head: WTALHead) -> List[Tuple[int, int]]:
    streams = [(int(lo), int(hi)) for lo, hi in head.input_streams]
    pos = 0
    for lo, hi in streams:
        if lo != pos or hi <= lo:
            raise ValueError(
                f"WithACGNet: {type(head).__name__}.input_streams must be contiguous, ordered (start, stop) slices "
                f"covering its {head.in_channels} channels, got {streams}"
            )
        pos = hi
    if pos != head.in_channels:
        raise ValueError(
            f"WithACGNet: {type(head).__name__}.input_streams cover {pos} channels, the head has {head.in_channels}"
        )
    return streams


def _build_acgnets(spec: AcgnetSpec, streams: List[Tuple[int, int]]) -> List[ACGNet]:
    widths = [hi - lo for lo, hi in streams]
    if isinstance(spec, Mapping):
        kwargs = dict(spec)
        if "in_channels" in kwargs:
            raise ValueError("WithACGNet: acgnet_kwargs must not set in_channels (it follows from the head)")
        # output width per input channel (1, or 2-3 with concat)
        factor = ACGNet.output_channels(1, **{k: kwargs[k] for k in ("fusion", "use_avg", "use_gcn") if k in kwargs})
        keep_seeded_init(kwargs.get("num_layers", 2))
        acgnets = []
        for w in widths:
            if w % factor:
                raise ValueError(
                    f"WithACGNet: a head stream of {w} channels is not the output of an ACGNet with "
                    f"{factor}x output width (fusion={kwargs.get('fusion', 'sum')!r})"
                )
            acgnets.append(ACGNet(w // factor, **kwargs))
    elif isinstance(spec, ACGNet):
        acgnets = [spec]
    elif isinstance(spec, Sequence) and all(isinstance(a, ACGNet) for a in spec):
        acgnets = list(spec)
    else:
        raise TypeError(
            f"WithACGNet: acgnet_kwargs must be a dict of ACGNet arguments, an ACGNet or a list of them, "
            f"got {type(spec).__name__}"
        )
    if len(acgnets) != len(widths):
        raise ValueError(f"WithACGNet: the head has {len(widths)} input streams but {len(acgnets)} ACGNet modules")
    for s, (a, w) in enumerate(zip(acgnets, widths)):
        if a.out_channels != w:
            raise ValueError(f"WithACGNet: ACGNet {s} outputs {a.out_channels} channels, head stream {s} takes {w}")
    return acgnets
