"""Parameter counts and a short module-tree summary (no forward pass needed)."""
from __future__ import annotations

from typing import List

from torch import nn


def parameter_count(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``module`` (each shared tensor counted once)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def model_summary(module: nn.Module, max_depth: int = 2) -> str:
    """A tree of ``module``'s sub-modules down to ``max_depth`` levels with their parameter counts, and the
    total, e.g. for BaS-Net at D = 2048 + ACGNet: 26,262,529 + 8,388,608 = 34,651,137 (34.65 M)."""
    lines: List[str] = []

    def walk(m: nn.Module, name: str, depth: int, prefix: str) -> None:
        label = f"{prefix}{name}: {type(m).__name__}" if name else type(m).__name__
        lines.append(f"{label:<56} {parameter_count(m):>14,}")
        if depth >= max_depth:
            return
        children = [(n, c) for n, c in m.named_children() if parameter_count(c) > 0]
        for n, c in children:
            walk(c, n, depth + 1, "  " * depth + "- ")

    walk(module, "", 0, "")
    total, trainable = parameter_count(module), parameter_count(module, trainable_only=True)
    lines.append(f"{'total':<56} {total:>14,}  ({total / 1e6:.2f} M, {trainable:,} trainable)")
    return "\n".join(lines)
