r"""Temporal sampling of a video's snippet sequence to a fixed length (PyG transforms).

A video ``Data(x=[T, D], snippet_seconds=s, ...)`` is resampled to ``N`` steps. Step ``i`` stands
for the original snippets in ``[i T / N, (i + 1) T / N)``, so after sampling

.. math::
    s' = s \cdot \frac{T}{N}, \qquad \text{step } i \text{ covers seconds } [i s', (i + 1) s'),

which keeps the mapping back to seconds exact (docs/method.md#snippets-seconds-and-sampling; BaS-Net's
``t_factor = 16 T / (25 N)``). ``num_snippets`` (the stored ``T``) is left unchanged.
Shorter videos (``T < N``) are up-sampled by repeating snippets.

* :class:`UniformSampling` — deterministic: ``idx_i = floor(i T / N)`` (BaS-Net test sampling).
* :class:`RandomPerturbedSampling` — training: ``idx_i`` drawn uniformly among the snippets that
  meet bin ``[i T / N, (i + 1) T / N)``: ``floor(i T/N) <= idx_i <= max(floor(i T/N), ceil((i+1) T/N) - 1)``;
  the indices are non-decreasing.
* :class:`AllSnippets` — keeps every snippet (variable length, batch with padding masks); with
  ``max_snippets`` it samples longer videos uniformly down to that length.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform


def uniform_indices(length: int, num_segments: int) -> Tensor:
    """``floor(i * length / num_segments)`` for ``i < num_segments`` (``[N]`` long)."""
    if length <= 0 or num_segments <= 0:
        raise ValueError(f"length and num_segments must be positive, got {length}, {num_segments}")
    i = torch.arange(num_segments, dtype=torch.float64)
    return torch.floor(i * length / num_segments).long().clamp_(max=length - 1)


def random_perturbed_indices(length: int, num_segments: int,
                             generator: Optional[torch.Generator] = None) -> Tensor:
    """One random index per bin ``[i T / N, (i + 1) T / N)`` (``[N]`` long, non-decreasing)."""
    if length <= 0 or num_segments <= 0:
        raise ValueError(f"length and num_segments must be positive, got {length}, {num_segments}")
    if length == num_segments:
        return torch.arange(length)
    b = torch.arange(num_segments + 1, dtype=torch.float64) * length / num_segments
    lo = torch.floor(b[:-1])
    hi = torch.maximum(lo, torch.ceil(b[1:]) - 1)
    r = torch.rand(num_segments, generator=generator, dtype=torch.float64)
    idx = lo + torch.floor(r * (hi - lo + 1))
    return torch.minimum(idx, hi).long().clamp_(max=length - 1)


def _resample(data: Data, idx: Tensor, num_segments: int) -> Data:
    length = data.x.size(0)
    data.x = data.x[idx]
    data.snippet_seconds = float(data.snippet_seconds) * length / num_segments
    if getattr(data, "num_snippets", None) is None:
        data.num_snippets = length
    return data


class UniformSampling(BaseTransform):
    r"""Resample ``x [T, D]`` to ``[N, D]`` at ``idx_i = floor(i T / N)`` (``T == N``: unchanged).

    Args:
        num_segments: output length ``N``.
        only_longer: leave videos with ``T <= N`` unchanged (no up-sampling).
    """

    def __init__(self, num_segments: int, only_longer: bool = False) -> None:
        if num_segments <= 0:
            raise ValueError(f"num_segments must be positive, got {num_segments}")
        self.num_segments = int(num_segments)
        self.only_longer = only_longer

    def forward(self, data: Data) -> Data:
        length = data.x.size(0)
        if length == self.num_segments or (self.only_longer and length <= self.num_segments):
            return data
        return _resample(data, uniform_indices(length, self.num_segments), self.num_segments)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.num_segments})"


class RandomPerturbedSampling(BaseTransform):
    r"""Resample ``x [T, D]`` to ``[N, D]`` with one random snippet per bin (training).

    Args:
        num_segments: output length ``N`` (BaS-Net: 750 on THUMOS'14).
        generator: optional :class:`torch.Generator` (default: torch's global generator, which
            ``DataLoader`` seeds per worker).
    """

    def __init__(self, num_segments: int, generator: Optional[torch.Generator] = None) -> None:
        if num_segments <= 0:
            raise ValueError(f"num_segments must be positive, got {num_segments}")
        self.num_segments = int(num_segments)
        self.generator = generator

    def forward(self, data: Data) -> Data:
        length = data.x.size(0)
        if length == self.num_segments:
            return data
        idx = random_perturbed_indices(length, self.num_segments, self.generator)
        return _resample(data, idx, self.num_segments)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.num_segments})"


class AllSnippets(BaseTransform):
    r"""Keep all snippets (identity); with ``max_snippets``, uniformly sample longer videos down.

    Batches of such videos have different lengths: use :class:`tal_pyg.datasets.DenseBatch`
    (padding + mask).
    """

    def __init__(self, max_snippets: Optional[int] = None) -> None:
        if max_snippets is not None and max_snippets <= 0:
            raise ValueError(f"max_snippets must be positive, got {max_snippets}")
        self.max_snippets = max_snippets

    def forward(self, data: Data) -> Data:
        length = data.x.size(0)
        if self.max_snippets is None or length <= self.max_snippets:
            if getattr(data, "num_snippets", None) is None:
                data.num_snippets = length
            return data
        return _resample(data, uniform_indices(length, self.max_snippets), self.max_snippets)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_snippets={self.max_snippets})"
