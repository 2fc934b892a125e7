"""The training batch pipeline: a :class:`torch.utils.data.DataLoader` over planned batches.

The main process plans the batches (which videos, from the seeded :class:`~tal_pyg.training.data.
BatchSampler`); worker processes (``data.num_workers``) read the features, sample each video and
stack the padded batch; the loader pins it (on CUDA) and keeps ``prefetch_factor`` batches per
worker ready, and the trainer copies it with ``non_blocking=True``. What a batch holds depends only
on (seed, iteration, position in the global batch), never on the worker that made it, so any
number of workers gives the batches of ``num_workers=0`` and a resumed run those of an
uninterrupted one (``docs/gpu.md``).

The plan runs ahead of training by the prefetched batches, so it works on a copy of the sampler;
the trainer's own sampler advances when a batch is consumed (its state is what the checkpoint holds).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, List, NamedTuple, Optional, Sequence

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from tal_pyg.training.data import BatchSampler, sample_training_batch


class BatchRequest(NamedTuple):
    """One planned batch: the iteration it is for, dataset indices and their positions in the global batch."""

    iteration: int
    indices: List[int]
    positions: List[int]


@dataclass
class LoadedBatch:
    """A :class:`~tal_pyg.datasets.DenseBatch` with its iteration and whether any video is padded.

    ``padded`` is computed where the batch is made (a worker, on the host), so the training step
    can pass ``mask=None`` for a batch without padding without reading the mask on the device.
    """

    iteration: int
    batch: Any
    padded: bool

    def pin_memory(self) -> "LoadedBatch":
        return LoadedBatch(self.iteration, self.batch.pin_memory(), self.padded)

    def to(self, device: torch.device, non_blocking: bool = False) -> "LoadedBatch":
        return LoadedBatch(self.iteration, self.batch.to(device, non_blocking=non_blocking), self.padded)


class PlannedBatches(Sampler):
    """The :class:`BatchRequest` of iterations ``start .. stop - 1`` drawn from a copy of ``sampler``.

    Args:
        sampler: the trainer's sampler at iteration ``start`` (copied, never advanced).
        train_idx: dataset index of each position of the sampler's permutation.
        start, stop: iteration range.
        rank, world_size: this process's share of every global batch (``rank::world_size``).
    """

    def __init__(self, sampler: BatchSampler, train_idx: Sequence[int], start: int, stop: int,
                 rank: int = 0, world_size: int = 1) -> None:
        self.state = sampler.state_dict()
        self.n, self.batch_size, self.seed = sampler.n, sampler.batch_size, sampler.seed
        self.train_idx = list(train_idx)
        self.start, self.stop = int(start), int(stop)
        self.rank, self.world_size = rank, world_size

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __iter__(self) -> Iterator[BatchRequest]:
        plan = BatchSampler(self.n, self.batch_size, self.seed)
        plan.load_state_dict(self.state)
        for iteration in range(self.start, self.stop):
            global_batch = plan.next_batch()
            positions = list(range(self.rank, len(global_batch), self.world_size))
            yield BatchRequest(iteration, [self.train_idx[global_batch[p]] for p in positions], positions)


class TrainingBatches(Dataset):
    """``dataset[request]`` for a :class:`BatchRequest`: the sampled, padded :class:`LoadedBatch`.

    Each video is sampled by ``transform`` with the generator seeded by (seed, iteration, position)
    (:func:`~tal_pyg.training.data.sample_training_batch`).
    """

    def __init__(self, dataset: Any, transform: Any, seed: int) -> None:
        self.dataset, self.transform, self.seed = dataset, transform, seed

    def __getitem__(self, request: BatchRequest) -> LoadedBatch:  # type: ignore[override]
        from tal_pyg.datasets import DenseBatch

        items = sample_training_batch(self.dataset, request.indices, request.positions, self.transform,
                                      self.seed, request.iteration)
        batch = DenseBatch.from_data_list(items)
        return LoadedBatch(request.iteration, batch, padded=not bool(batch.mask.all()))


def _first(item: Any) -> Any:
    """``collate_fn`` of a loader without automatic batching: the item is already a batch."""
    return item


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)  # a worker reads and samples; the training process owns the cores


def make_train_loader(
    dataset: Any, transform: Any, seed: int, plan: PlannedBatches, num_workers: int = 0,
    pin_memory: bool = False, prefetch_factor: Optional[int] = 2,
) -> DataLoader:
    """The loader of the planned batches (``num_workers`` worker processes, ``0``: in this process).

    ``pin_memory`` should be ``True`` when training on CUDA (then copy with ``non_blocking=True``).
    """
    kwargs: dict = {}
    if num_workers > 0:
        kwargs.update(prefetch_factor=prefetch_factor, worker_init_fn=_worker_init)
    # its own generator: a DataLoader iterator otherwise draws its base seed from torch's global
    # generator, which would shift the model's random stream (dropout) by when the loader was made,
    # so a resumed run would differ from an uninterrupted one. The workers' seeds are not used: each
    # video is sampled with its own (seed, iteration, position) generator.
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TrainingBatches(dataset, transform, seed), batch_size=None, sampler=plan,
                      collate_fn=_first, num_workers=num_workers, pin_memory=pin_memory,
                      generator=generator, **kwargs)
