"""Choosing the torch device of a run (training, inference, feature extraction)."""
from __future__ import annotations

from typing import Optional, Union

import torch


def resolve_device(device: Optional[Union[str, torch.device]] = None, local_rank: int = 0) -> torch.device:
    """The device named by ``device``.

    ``None`` or ``"auto"``: CUDA when available (GPU ``local_rank % device_count``, one per process of a
    ``torchrun`` launch), else the CPU. Anything else is passed to ``torch.device`` (``"cpu"``, ``"cuda"``,
    ``"cuda:1"``); a CUDA device on a machine without CUDA is a ``ValueError``.
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        return torch.device("cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r}: CUDA is not available on this machine; use --device cpu")
    return dev
