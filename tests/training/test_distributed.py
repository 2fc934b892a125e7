"""DistributedDataParallel on 2 CPU processes (gloo) gives the single-process result on the same data order."""
import json
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from tal_pyg.config import load_config
from tal_pyg.training import Trainer, load_checkpoint

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, cfg_dict, out: str) -> None:
    os.environ.update({"RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank),
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    torch.set_num_threads(1)
    from tal_pyg.training.distributed import shutdown_distributed

    try:
        Trainer(load_config(data=cfg_dict), out, log=lambda s: None).fit()
    finally:
        shutdown_distributed()


def test_two_processes_match_one(tiny_features, tiny_config, tmp_path):
    # dropout draws differ per process, so the comparison runs without dropout; the EPM loss's "mean"
    # reduction is per process (sum / edges of the local batch), so it runs without ACGNet.
    cfg = tiny_config(tiny_features, model={"head": "basnet", "acgnet": {"enabled": False},
                                            "head_config": {"hidden_channels": 16, "filter_hidden_channels": 8,
                                                            "dropout": 0.0, "proposal": {"argmax_if_none": True}}},
                      optim={"batch_size": 4, "iterations": 4}, train={"eval_every": 2, "checkpoint_every": 2,
                                                                        "log_every": 1, "progress": False})
    torch.set_num_threads(1)
    single = Trainer(load_config(data=cfg), tmp_path / "one", log=lambda s: None).fit()
    mp.spawn(_worker, args=(2, _free_port(), cfg, str(tmp_path / "two")), nprocs=2, join=True)
    double = json.loads((tmp_path / "two/eval.json").read_text())
    a = load_checkpoint(tmp_path / "one/checkpoints/last.pt")["model"]
    b = load_checkpoint(tmp_path / "two/checkpoints/last.pt")["model"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5, msg=k)
    assert double["mAP"] == pytest.approx(single["mAP"], abs=1e-6)
    assert double["classification_mAP"] == pytest.approx(single["classification_mAP"], abs=1e-6)
    preds_one = json.loads((tmp_path / "one/predictions.json").read_text())["results"]
    preds_two = json.loads((tmp_path / "two/predictions.json").read_text())["results"]
    assert set(preds_one) == set(preds_two)  # every test video evaluated once, gathered on rank 0
