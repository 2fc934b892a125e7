"""Cheap input checks shared by the modules of :mod:`tal_pyg.nn` and :mod:`tal_pyg.losses`."""
from __future__ import annotations

import torch
from torch import Tensor


def all_finite(x: Tensor) -> bool:
    """``True`` iff ``x`` has no NaN/inf, in one reduction pass for valid input.

    A NaN or inf anywhere makes the sum non-finite, so a finite sum proves every element finite;
    only a non-finite sum (which finite values can also produce by overflow) triggers the
    element-wise check.
    """
    if x.numel() == 0:
        return True
    if bool(torch.isfinite(x.sum())):
        return True
    return bool(torch.isfinite(x).all())
