"""The training DataLoader: worker processes give exactly the batches of the in-process loader."""
from __future__ import annotations

import pytest
import torch

from tal_pyg.config import load_config
from tal_pyg.training import data as data_mod
from tal_pyg.training import load_checkpoint
from tal_pyg.training.loader import PlannedBatches, make_train_loader
from tests.conftest import StopAt


def _setup(tiny_features, tiny_config):
    cfg = load_config(data=tiny_config(tiny_features, data={"num_segments": 24}))
    dataset = data_mod.open_split(cfg.data, "train", log=lambda s: None)
    train_idx, _ = data_mod.split_train_val(len(dataset), cfg.data.val_fraction, cfg.train.seed)
    sampler = data_mod.BatchSampler(len(train_idx), 5, cfg.train.seed)  # 5 does not divide 12: epochs mix
    return cfg, dataset, train_idx, sampler, data_mod.train_transform(cfg.data)


def _batches(dataset, transform, seed, plan, workers):
    return list(make_train_loader(dataset, transform, seed, plan, num_workers=workers))


def _assert_same(a, b):
    assert [x.iteration for x in a] == [x.iteration for x in b]
    for x, y in zip(a, b):
        assert x.batch.video_names == y.batch.video_names
        assert torch.equal(x.batch.x, y.batch.x) and torch.equal(x.batch.mask, y.batch.mask)
        assert torch.equal(x.batch.y, y.batch.y) and x.padded == y.padded
        assert torch.equal(x.batch.snippet_seconds, y.batch.snippet_seconds)


def test_two_workers_give_the_batches_of_zero_workers(tiny_features, tiny_config):
    cfg, dataset, train_idx, sampler, transform = _setup(tiny_features, tiny_config)
    plan = PlannedBatches(sampler, train_idx, 0, 7)
    in_process = _batches(dataset, transform, cfg.train.seed, plan, 0)
    workers = _batches(dataset, transform, cfg.train.seed, plan, 2)
    assert len(in_process) == 7 and [b.iteration for b in in_process] == list(range(7))
    _assert_same(in_process, workers)
    # the random-perturbed sampling really is random across iterations (not a constant batch)
    assert not torch.equal(in_process[0].batch.x, in_process[3].batch.x)
    # the plan never advances the sampler it was made from
    assert sampler.pos == 0 and sampler.perm == []


def test_same_batches_as_the_serial_sampling(tiny_features, tiny_config):
    """The loader's batches are those of sample_training_batch in a plain loop (the pre-loader trainer)."""
    from tal_pyg.datasets import DenseBatch

    cfg, dataset, train_idx, sampler, transform = _setup(tiny_features, tiny_config)
    loaded = _batches(dataset, transform, cfg.train.seed, PlannedBatches(sampler, train_idx, 0, 4), 2)
    serial = data_mod.BatchSampler(sampler.n, sampler.batch_size, sampler.seed)
    for it, lb in enumerate(loaded):
        global_batch = serial.next_batch()
        positions = list(range(len(global_batch)))
        items = data_mod.sample_training_batch(dataset, [train_idx[g] for g in global_batch], positions,
                                               transform, cfg.train.seed, it)
        expected = DenseBatch.from_data_list(items)
        assert torch.equal(lb.batch.x, expected.x) and lb.batch.video_names == expected.video_names


def test_a_plan_from_a_later_sampler_state_continues_the_sequence(tiny_features, tiny_config):
    cfg, dataset, train_idx, sampler, transform = _setup(tiny_features, tiny_config)
    full = _batches(dataset, transform, cfg.train.seed, PlannedBatches(sampler, train_idx, 0, 6), 0)
    for _ in range(3):
        sampler.next_batch()
    tail = _batches(dataset, transform, cfg.train.seed, PlannedBatches(sampler, train_idx, 3, 6), 2)
    _assert_same(full[3:], tail)


def test_trainer_with_workers_equals_in_process_and_resumes(tiny_features, tiny_config, tmp_path):
    from tal_pyg.training import Trainer

    def run(out, workers, stop_at=None, resume=False):
        cfg = load_config(data=tiny_config(tiny_features, data={"num_workers": workers},
                                           model={"acgnet": {"enabled": False}},
                                           train={"selection": "last"}))
        return Trainer(cfg, out, resume=resume, log=lambda s: None,
                       callbacks=[StopAt(stop_at)] if stop_at else ()).fit()

    run(tmp_path / "serial", 0)
    run(tmp_path / "workers", 2, stop_at=3)
    run(tmp_path / "workers", 2, resume=True)  # resumed with workers, after an interruption
    a = load_checkpoint(tmp_path / "serial/checkpoints/last.pt")["model"]
    b = load_checkpoint(tmp_path / "workers/checkpoints/last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_num_workers_is_validated():
    from tal_pyg.config import ConfigError

    with pytest.raises(ConfigError, match="data.num_workers"):
        load_config(data={"data": {"num_workers": -1}})
    with pytest.raises(ConfigError, match="train.precision"):
        load_config(data={"train": {"precision": "fp8"}})
