"""Layers shared by the heads."""
from __future__ import annotations

from torch import Tensor, nn


class Conv1dTime(nn.Conv1d):
    r"""``nn.Conv1d`` along time on ``[B, T, D_in]`` tensors (time second, as the heads hold features),
    zero-padded so that the output keeps ``T``: ``[B, T, D_in] -> [B, T, D_out]``.

    .. math:: y_{t} = b + \sum_{j=-\lfloor k/2 \rfloor}^{\lfloor k/2 \rfloor} W_j\, x_{t+j}
        \qquad (x_{t} = 0 \text{ outside } [0, T))

    ``kernel_size`` must be odd for the output to keep ``T`` exactly.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        return super().forward(x.transpose(1, 2)).transpose(1, 2)
