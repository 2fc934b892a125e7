r"""Padded ``[B, T_max, D]`` batches of videos for the WTAL heads (the input of
:class:`~tal_pyg.models.WTALHead`).

Videos of different lengths are stacked with :func:`torch_geometric.utils.to_dense_batch`:
``x[b, t]`` is snippet ``t`` of video ``b`` for ``t < lengths[b]`` and zero padding after it,
``mask[b, t] = t < lengths[b]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, List, Sequence

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import to_dense_batch


@dataclass
class DenseBatch:
    r"""A batch of ``B`` videos padded to the longest one.

    Attributes:
        x: ``[B, T_max, D]`` float features (zero where ``mask`` is False).
        mask: ``[B, T_max]`` bool, True for real snippets.
        y: ``[B, C]`` float multi-hot video labels.
        video_names: ``B`` names.
        snippet_seconds: ``[B]`` float64 seconds per step of ``x`` (already scaled by any resampling).
        durations: ``[B]`` float64 video durations in seconds.
        num_snippets: ``[B]`` long, the original (stored) length of each video.
        gt_segments: per video ``[K_b, 2]`` ground-truth seconds (empty if the data had none).
        gt_labels: per video ``[K_b]`` class of each segment.
    """

    x: Tensor
    mask: Tensor
    y: Tensor
    video_names: List[str]
    snippet_seconds: Tensor
    durations: Tensor
    num_snippets: Tensor
    gt_segments: List[Tensor] = field(default_factory=list)
    gt_labels: List[Tensor] = field(default_factory=list)

    @property
    def lengths(self) -> Tensor:
        """``[B]`` long: number of real snippets of each video in ``x``."""
        return self.mask.sum(dim=1)

    def __len__(self) -> int:
        return self.x.size(0)

    @classmethod
    def from_data_list(cls, data_list: Sequence[Data]) -> "DenseBatch":
        """Stack ``Data`` objects (``x [T_b, D]``, ``y [1, C]``, ...) into one padded batch.

        Usable as ``collate_fn`` of a :class:`torch.utils.data.DataLoader`.
        """
        if len(data_list) == 0:
            raise ValueError("DenseBatch.from_data_list: empty list")
        xs = [d.x for d in data_list]
        dims = {x.size(-1) for x in xs}
        if len(dims) != 1:
            raise ValueError(f"DenseBatch.from_data_list: videos have different feature dims {sorted(dims)}")
        if len({x.size(0) for x in xs}) == 1:  # equal lengths (training batches): one copy, no padding
            x = torch.stack(xs, dim=0)
            mask = torch.ones(x.shape[:2], dtype=torch.bool)
        else:
            batch = torch.cat([torch.full((x.size(0),), b, dtype=torch.long) for b, x in enumerate(xs)])
            x, mask = to_dense_batch(torch.cat(xs, dim=0), batch, batch_size=len(xs))
        y = torch.cat([d.y.reshape(1, -1) for d in data_list], dim=0).float()

        def column(name: str, default: Any = None) -> Tensor:
            vals = [getattr(d, name, None) for d in data_list]
            if any(v is None for v in vals):
                if default is None:
                    raise ValueError(f"DenseBatch.from_data_list: a video has no {name!r}")
                vals = [default(d) if v is None else v for d, v in zip(data_list, vals)]
            return torch.tensor([float(v) for v in vals], dtype=torch.float64)  # type: ignore[arg-type]

        snippet_seconds = column("snippet_seconds")
        durations = column("duration", default=lambda d: d.x.size(0) * float(d.snippet_seconds))
        num_snippets = column("num_snippets", default=lambda d: d.x.size(0)).long()
        names = [str(getattr(d, "video_name", f"video_{b}")) for b, d in enumerate(data_list)]
        segs = [getattr(d, "gt_segments", None) for d in data_list]
        labs = [getattr(d, "gt_labels", None) for d in data_list]
        return cls(
            x=x, mask=mask, y=y, video_names=names, snippet_seconds=snippet_seconds,
            durations=durations, num_snippets=num_snippets,
            gt_segments=[s if s is not None else torch.zeros(0, 2) for s in segs],
            gt_labels=[lab if lab is not None else torch.zeros(0, dtype=torch.long) for lab in labs],
        )

    def to(self, device: Any, non_blocking: bool = False) -> "DenseBatch":
        """Move the tensors (``x``, ``mask``, ``y`` and the per-video vectors) to ``device``."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Tensor):
                v = v.to(device, non_blocking=non_blocking)
            out[f.name] = v
        return DenseBatch(**out)

    def pin_memory(self) -> "DenseBatch":
        """Pinned copy (used by ``DataLoader(pin_memory=True)``)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for k in ("x", "mask", "y", "snippet_seconds", "durations", "num_snippets"):
            out[k] = out[k].pin_memory()
        return DenseBatch(**out)
