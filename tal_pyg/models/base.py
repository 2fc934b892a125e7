"""The interface every weakly-supervised temporal action localisation head implements
(docs/index.md#python-api)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor, nn

from tal_pyg.debug import is_debug_enabled
from tal_pyg.postprocess import ProposalConfig, cas_to_proposals


@dataclass
class TrainingPhase:
    """One optimiser's share of a training iteration.

    The trainer builds one optimiser per phase over ``parameters`` and, each iteration, for every phase in
    order: ``zero_grad``, forward, ``loss(output, y, phase=name)["total"].backward()``, ``step``.

    Attributes:
        name: phase name passed to :meth:`WTALHead.loss` (``"model"`` for single-phase heads).
        parameters: the parameters this phase's optimiser updates.
        trains_input: whether modules *in front of* the head (ACGNet in :class:`WithACGNet`) are trained in
            this phase (their parameters are added to it, and the EPM loss to its total).
    """

    name: str
    parameters: List[nn.Parameter]
    trains_input: bool = True


SnippetSeconds = Union[Tensor, Sequence[float], float]


class WTALHead(nn.Module):
    r"""Base class of the WTAL heads: video features in, class activations, video scores, losses out.

    Shapes: ``x`` ``[B, T, D]`` (``D = in_channels``), ``mask`` ``[B, T]`` bool (True = real snippet; padding
    never influences a real snippet's output, a pooled score or a loss), labels ``y`` ``[B, C]`` multi-hot.

    Subclasses implement :meth:`forward`, :meth:`loss`, :meth:`snippet_scores` and :meth:`video_scores`. The
    default :meth:`predict` runs the BaS-Net localisation recipe (:class:`~tal_pyg.postprocess.ProposalConfig`
    in ``self.proposal_config``) on :meth:`cas` (``[B, T, C]``, by default ``output["cas"]``), so a head that
    stores its class activation sequence under that key gets proposals for free; a head that keeps it
    elsewhere overrides :meth:`cas` (``tal-pyg predict --plot`` draws it).

    ``input_streams`` lists the ``(start, stop)`` channel slices of ``x`` that are separate modalities
    (default: one stream, all channels). :class:`~tal_pyg.models.WithACGNet` builds one ACGNet per stream.
    """

    proposal_config: ProposalConfig = ProposalConfig()

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f"{type(self).__name__}: in_channels must be a positive int, got {in_channels!r}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"{type(self).__name__}: num_classes must be a positive int, got {num_classes!r}")
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.proposal_config = ProposalConfig()  # per instance: editing it never changes other heads

    # ------------------------------------------------------------------ interface
    @property
    def input_streams(self) -> List[Tuple[int, int]]:
        """``(start, stop)`` channel slices of the input that are separate streams (modalities)."""
        return [(0, self.in_channels)]

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Dict[str, Tensor]:  # pragma: no cover
        raise NotImplementedError

    def loss(self, output: Dict[str, Tensor], y: Tensor, phase: str = "model") -> Dict[str, Tensor]:  # pragma: no cover
        """Named loss terms (0-dim tensors) of ``phase``; key ``"total"`` is what is minimised."""
        raise NotImplementedError

    def snippet_scores(self, output: Dict[str, Tensor]) -> Tensor:  # pragma: no cover
        """``p`` of the EPM loss: ``[B, T]``, or ``[S, B, T]`` (one row per input stream)."""
        raise NotImplementedError

    def video_scores(self, output: Dict[str, Tensor]) -> Tensor:  # pragma: no cover
        """``[B, C]`` class probabilities of each video."""
        raise NotImplementedError

    def cas(self, output: Dict[str, Tensor]) -> Tensor:
        """The class activation sequence of the ``C`` action classes, ``[B, T, C]``: the curve the head
        localises on (before any per-video normalisation). Default: ``output["cas"]``."""
        if "cas" not in output:
            raise NotImplementedError(
                f"{type(self).__name__}.cas: the default needs output['cas'] ([B, T, C] class activations); "
                "override cas() for this head"
            )
        return output["cas"]

    def predict(
        self, output: Dict[str, Tensor], snippet_seconds: SnippetSeconds, lengths: Optional[Tensor] = None
    ) -> List[np.ndarray]:
        """Scored proposals of each video: a list of ``B`` float arrays ``[P, 4]`` with rows
        ``(class_index, score, start_s, end_s)``.

        Args:
            output: the forward output (eval mode).
            snippet_seconds: ``[B]`` seconds per snippet of each video's ``x`` (or one float for all).
            lengths: ``[B]`` real snippets per video (default: from ``output["mask"]``, else ``T``).
        """
        cas = self.cas(output).detach().double().cpu().numpy()
        scores = self.video_scores(output).detach().double().cpu().numpy()
        return [
            cas_to_proposals(cas[b, :n], scores[b], sec, self.proposal_config)
            for b, n, sec in self.iter_videos(output, snippet_seconds, lengths, cas.shape[0], cas.shape[1])
        ]

    def training_phases(self) -> List[TrainingPhase]:
        """Default: one phase ``"model"`` with every trainable parameter."""
        return [TrainingPhase("model", [p for p in self.parameters() if p.requires_grad])]

    def on_train_iteration(self, iteration: int) -> None:
        """Called by the trainer before each training iteration (0-based); for schedules such as warm-ups."""

    def reset_parameters(self) -> None:
        """Re-initialise every sub-module that has ``reset_parameters``."""
        for m in self.modules():
            if m is not self and not isinstance(m, WTALHead) and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    # ------------------------------------------------------------------ helpers for subclasses
    def prepare_input(self, x: Tensor, mask: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """Check ``x`` / ``mask`` and return ``(x with padding zeroed, mask)`` (``mask`` all True if None).

        Shapes are always checked; that every video has a real snippet only with
        :func:`tal_pyg.set_debug` on (it reads the mask on the host).
        """
        name = type(self).__name__
        if not isinstance(x, Tensor) or x.dim() != 3:
            raise ValueError(f"{name}: expected x of shape [B, T, D], got {tuple(getattr(x, 'shape', ()))}")
        if x.shape[-1] != self.in_channels:
            raise ValueError(f"{name}: x has {x.shape[-1]} channels, the head was built for {self.in_channels}")
        if x.shape[1] == 0:
            raise ValueError(f"{name}: x has no snippets (T = 0)")
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        else:
            if mask.shape != x.shape[:2]:
                raise ValueError(f"{name}: mask shape {tuple(mask.shape)} does not match x {tuple(x.shape[:2])}")
            mask = mask.to(torch.bool)
            # a value check (reads the device on the host): debug mode only; the datasets and
            # DenseBatch never produce an empty video
            if is_debug_enabled() and not bool(mask.any(dim=1).all()):
                raise ValueError(f"{name}: every video needs at least one real snippet (a mask row is all False)")
        return x * mask.unsqueeze(-1).to(x.dtype), mask

    @staticmethod
    def iter_videos(output: Dict[str, Tensor], snippet_seconds: SnippetSeconds, lengths: Optional[Tensor],
                    batch_size: int, num_snippets: int):
        """Yield ``(b, length_b, snippet_seconds_b)`` for the videos of a batch."""
        if isinstance(snippet_seconds, Tensor):
            secs = snippet_seconds.detach().double().cpu().reshape(-1).tolist()
        elif isinstance(snippet_seconds, (int, float)):
            secs = [float(snippet_seconds)] * batch_size
        else:
            secs = [float(s) for s in snippet_seconds]
        if len(secs) == 1 and batch_size > 1:
            secs = secs * batch_size
        if len(secs) != batch_size:
            raise ValueError(f"predict: {len(secs)} snippet_seconds values for a batch of {batch_size} videos")
        if lengths is not None:
            lens = [int(v) for v in torch.as_tensor(lengths).reshape(-1).tolist()]
        elif "mask" in output:
            lens = [int(v) for v in output["mask"].sum(dim=1).tolist()]
        else:
            lens = [num_snippets] * batch_size
        if len(lens) != batch_size:
            raise ValueError(f"predict: {len(lens)} lengths for a batch of {batch_size} videos")
        for b in range(batch_size):
            if not 1 <= lens[b] <= num_snippets:
                raise ValueError(f"predict: video {b} has length {lens[b]}, outside 1..{num_snippets}")
            if not secs[b] > 0:
                raise ValueError(f"predict: video {b} has snippet_seconds {secs[b]} (must be > 0)")
            yield b, lens[b], secs[b]


def check_labels(y: Tensor, output_batch: int, num_classes: int, where: str) -> Tensor:
    """Validate ``y`` ``[B, C]`` and return it as float."""
    if y.dim() != 2 or y.shape != (output_batch, num_classes):
        raise ValueError(f"{where}: labels y must be [B, C] = [{output_batch}, {num_classes}], got {tuple(y.shape)}")
    return y.float()


def normalise_labels(y: Tensor) -> Tensor:
    """``y / sum(y)`` per row (an all-zero row stays zero)."""
    return y / y.sum(dim=1, keepdim=True).clamp_min(torch.finfo(y.dtype).tiny)


def config_from(config: Any, cls: type, where: str) -> Any:
    """``config`` if it is a ``cls``, ``cls()`` for None; anything else is an error."""
    if config is None:
        return cls()
    if not isinstance(config, cls):
        raise TypeError(f"{where}: config must be a {cls.__name__}, got {type(config).__name__}")
    return config


def check_positive_ints(config: Any, names: Sequence[str]) -> None:
    """``ValueError`` unless every field ``names`` of the head config ``config`` is an int >= 1."""
    for n in names:
        v = getattr(config, n)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{type(config).__name__}.{n} must be a positive int, got {v!r}")
