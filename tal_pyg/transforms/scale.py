"""Multiply the snippet features by a constant."""
from __future__ import annotations

from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform


class ScaleFeatures(BaseTransform):
    r"""Scale a video's snippet features, :math:`\mathbf{x}' = c\,\mathbf{x}`.

    A diagnostic of the data pipeline (``data.feature_scale``): ACGNet's sum fusion
    :math:`F + \hat{A}F + \mathrm{GCN}(F)` (paper Eq. 7) changes the scale of what the host sees, and a
    baseline trained on :math:`c\,F` separates the effect of that scale from the graph's
    (docs/protocol.md).

    Args:
        scale: the constant :math:`c > 0`.

    Shapes:
        ``data.x``: :math:`[T, D]` in and out; every other attribute is kept.
    """

    def __init__(self, scale: float) -> None:
        if not scale > 0:
            raise ValueError(f"ScaleFeatures: scale must be > 0, got {scale}")
        self.scale = float(scale)

    def forward(self, data: Data) -> Data:
        data.x = data.x * self.scale
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scale:g})"
