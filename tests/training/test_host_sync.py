"""A training step reads nothing from the device, apart from the documented edge count of each graph.

Every aten op of :meth:`Trainer.train_step` (forward, losses, backward, optimiser step, the
non-finite bookkeeping) runs under a :class:`TorchDispatchMode` that records the ops which copy a
value to the host or whose output shape depends on the data (so a GPU would have to finish before
the host can go on). On CPU this counts what *would* synchronise a GPU; with ``--device cuda`` the
same steps also run under ``torch.cuda.set_sync_debug_mode``, which sees the kernels' own syncs.

The one allowed op is the ``nonzero`` that gives the action complement graph its edge count
(``docs/gpu.md``): one per graph built, i.e. per ACGNet stream and training phase.
"""
from __future__ import annotations

import warnings
from collections import Counter

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import tal_pyg
from tal_pyg.config import load_config
from tal_pyg.training import Trainer
from tal_pyg.training.step import MixedPrecision, train_iteration

aten = torch.ops.aten

#: ops that copy a device value to the host, or have a data-dependent output shape
HOST_READS = {
    aten._local_scalar_dense.default, aten.item.default, aten.equal.default, aten.is_nonzero.default,
    aten.allclose.default, aten.nonzero.default, aten.nonzero_numpy.default, aten.argwhere.default,
    aten.masked_select.default, aten._unique.default, aten._unique2.default, aten.unique_dim.default,
    aten.unique_consecutive.default, aten.unique_dim_consecutive.default, aten.bincount.default,
    aten.histc.default,
}


class HostReadCounter(TorchDispatchMode):
    """Count host reads; ``exempt`` holds data pointers of tensors that live on the host by design
    (the optimisers' step counters, which torch keeps on the CPU unless ``capturable``)."""

    def __init__(self, exempt=()) -> None:
        super().__init__()
        self.exempt = set(exempt)
        self.counts: Counter = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = None
        if func in HOST_READS:
            first = args[0] if args else None
            if not (isinstance(first, torch.Tensor) and first.data_ptr() in self.exempt):
                name = func.overloadpacket.__name__
        elif func in (aten.repeat_interleave.Tensor, aten.repeat_interleave.self_Tensor):
            if kwargs.get("output_size") is None:
                name = "repeat_interleave without output_size"
        elif func in (aten.index.Tensor, aten.index_put.default, aten.index_put_.default,
                      aten._index_put_impl_.default):
            indices = args[1] if len(args) > 1 else kwargs.get("indices", ())
            if any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in indices):
                name = "boolean-mask indexing"
        elif func in (aten._to_copy.default, aten.copy_.default):
            src = args[1] if func is aten.copy_.default else args[0]
            dst_device = args[0].device if func is aten.copy_.default else kwargs.get("device")
            if isinstance(src, torch.Tensor) and src.device.type != "cpu" and dst_device is not None \
                    and torch.device(dst_device).type == "cpu":
                name = "device->host copy"
        if name is not None:
            self.counts[name] += 1
        return func(*args, **kwargs)


def optimizer_step_counters(optimizers):
    return {s["step"].data_ptr() for opt in optimizers.values() for s in opt.state.values()
            if isinstance(s.get("step"), torch.Tensor) and s["step"].device.type == "cpu"}


HEADS = {
    "basnet": {"hidden_channels": 16, "filter_hidden_channels": 8},
    "bam": {"hidden_channels": 16},
    "dgam": {"attention_hidden_channels": 8, "latent_channels": 4, "cvae_hidden_channels": 8},
}


def _trainer(tiny_features, tiny_config, tmp_path, head, acgnet, device, precision="fp32"):
    sections = dict(model={"head": head, "head_config": HEADS[head], "acgnet": {"enabled": acgnet, "k": 4}},
                    train={"device": str(device), "precision": precision, "progress": False},
                    optim={"iterations": 8})
    cfg = load_config(data=tiny_config(tiny_features, **sections))
    return Trainer(cfg, tmp_path / f"{head}-{acgnet}-{precision}", log=lambda s: None)


def _graphs_per_step(trainer) -> int:
    model = trainer.model
    streams = len(getattr(model, "acgnets", []))
    return streams * len(trainer.optimizers)  # one graph per stream in every phase's forward pass


def _count_steps(trainer, steps=2):
    trainer.train_step()  # warm-up: the loader starts, the optimisers make their state
    loaded = [next(trainer._batches) for _ in range(steps)]  # data loading is host work: outside
    trainer._batches = iter(loaded)
    counter = HostReadCounter(optimizer_step_counters(trainer.optimizers))
    cuda_syncs = []
    with counter:
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.set_sync_debug_mode("warn")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for _ in range(steps):
                    trainer.train_step()
            cuda_syncs = [str(w.message) for w in caught if "synchroniz" in str(w.message).lower()]
        finally:
            if trainer.device.type == "cuda":
                torch.cuda.set_sync_debug_mode(0)
    trainer.check_finite()
    return counter.counts, cuda_syncs


@pytest.mark.parametrize("acgnet", [False, True])
@pytest.mark.parametrize("head", ["basnet", "bam", "dgam"])
def test_training_step_reads_only_the_edge_counts(tiny_features, tiny_config, tmp_path, head, acgnet, device):
    trainer = _trainer(tiny_features, tiny_config, tmp_path, head, acgnet, device)
    counts, cuda_syncs = _count_steps(trainer, steps=2)
    expected = Counter({"nonzero": 2 * _graphs_per_step(trainer)}) if acgnet else Counter()
    assert counts == expected, f"host reads in 2 steps: {dict(counts)}, expected {dict(expected)}"
    if device.type == "cuda":
        assert len(cuda_syncs) <= 2 * _graphs_per_step(trainer), cuda_syncs


@pytest.mark.parametrize("head", ["basnet", "dgam"])
def test_bf16_step_reads_only_the_edge_counts(tiny_features, tiny_config, tmp_path, head, device):
    trainer = _trainer(tiny_features, tiny_config, tmp_path, head, True, device, precision="bf16")
    counts, _ = _count_steps(trainer, steps=1)
    assert counts == Counter({"nonzero": _graphs_per_step(trainer)}), dict(counts)


def test_padded_batches_and_debug_mode(device):
    """A padded batch (mask passed) costs no extra read; debug mode turns the value checks on."""
    from tal_pyg.models import BaSNetConfig, BaSNetHead, WithACGNet

    torch.manual_seed(0)
    model = WithACGNet(BaSNetHead(16, 3, BaSNetConfig(hidden_channels=16, filter_hidden_channels=8)),
                       dict(k=4, threshold=0.3, z=2), epm_weight=1.0).to(device)
    opts = {"model": torch.optim.Adam(model.parameters(), lr=1e-3)}
    x = torch.rand(4, 24, 16, device=device)
    mask = torch.ones(4, 24, dtype=torch.bool, device=device)
    mask[1, 10:] = False
    y = torch.eye(3, device=device)[[0, 1, 2, 0]]
    precision = MixedPrecision("fp32", device)
    train_iteration(model, opts, x, mask, y, 0, precision=precision, sync=False)
    counter = HostReadCounter(optimizer_step_counters(opts))
    with counter:
        train_iteration(model, opts, x, mask, y, 1, precision=precision, sync=False)
    assert counter.counts == Counter({"nonzero": 1})
    debug_counter = HostReadCounter(optimizer_step_counters(opts))
    with tal_pyg.debug(), debug_counter:
        train_iteration(model, opts, x, mask, y, 2, precision=precision, sync=False)
    assert sum(debug_counter.counts.values()) > 1  # the value checks read the device


def test_nonfinite_loss_is_raised_at_the_next_log_read(tiny_features, tiny_config, tmp_path, device):
    trainer = _trainer(tiny_features, tiny_config, tmp_path, "basnet", False, device)
    logs = trainer.train_step()
    assert all(isinstance(v, torch.Tensor) for v in logs.values())  # nothing read on the host
    assert set(trainer.read_logs(logs)) == set(logs)
    loss = trainer.model.loss
    trainer.model.loss = lambda out, y, phase="model": {k: v * float("nan") for k, v in loss(out, y, phase).items()}
    trainer.train_step()  # no error here: nothing is read on the host
    with pytest.raises(FloatingPointError, match="iteration 1: the training loss is not finite"):
        trainer.check_finite()
