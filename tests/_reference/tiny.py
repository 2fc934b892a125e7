"""A tiny synthetic WTAL set made inside the tests: class-specific feature bumps at random positions."""
from __future__ import annotations

import torch


def make_tiny_set(num_videos: int, num_classes: int = 3, channels: int = 32, length: int = 24,
                  seed: int = 0, streams: int = 1):
    """Returns ``(x [N, T, D], y [N, C], segments)`` with ``segments[n] = [(class, start, stop), ...]``.

    Each video holds one or two actions; an action of class ``c`` adds the class pattern ``P_c`` (a fixed
    random unit-norm direction, times 3) to the snippets it covers (4-8 snippets at a random position);
    everything else is Gaussian noise. With ``streams = 2`` the pattern appears in both halves.
    """
    g = torch.Generator().manual_seed(seed)
    patterns = torch.randn(num_classes, channels, generator=torch.Generator().manual_seed(1234))
    patterns = 3.0 * patterns / patterns.norm(dim=1, keepdim=True)
    x = 0.5 * torch.randn(num_videos, length, channels, generator=g)
    y = torch.zeros(num_videos, num_classes)
    segments = []
    for n in range(num_videos):
        k = 1 + int(torch.randint(0, 2, (1,), generator=g))
        classes = torch.randperm(num_classes, generator=g)[:k].tolist()
        segs = []
        for c in classes:
            dur = int(torch.randint(4, 9, (1,), generator=g))
            start = int(torch.randint(0, length - dur + 1, (1,), generator=g))
            x[n, start:start + dur] += patterns[c]
            y[n, c] = 1.0
            segs.append((c, start, start + dur))
        segments.append(segs)
    return x, y, segments


def train(model, x, y, iterations: int, lr: float, batch_size: int = 16, seed: int = 0):
    """The trainer's iteration (:func:`tal_pyg.training.step.train_iteration`) on in-memory tensors."""
    from tal_pyg.training.step import train_iteration

    torch.manual_seed(seed)
    opts = {ph.name: torch.optim.Adam(ph.parameters, lr=lr) for ph in model.training_phases()}
    history = []
    g = torch.Generator().manual_seed(seed)
    for it in range(iterations):
        idx = torch.randperm(x.shape[0], generator=g)[:batch_size]
        logs = train_iteration(model, opts, x[idx], None, y[idx], it)
        history.append({name: logs[f"loss/{name}/total" if len(opts) > 1 else "loss/total"] for name in opts})
    model.eval()
    return history
