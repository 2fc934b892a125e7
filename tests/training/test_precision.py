"""train.precision: autocast of the forward pass, float32 losses, fp16 loss scaling (resumable)."""
from __future__ import annotations

import pytest
import torch

from tal_pyg.config import load_config
from tal_pyg.models import BaSNetConfig, BaSNetHead, DGAMConfig, DGAMHead, WithACGNet
from tal_pyg.training import Trainer, load_checkpoint
from tal_pyg.training.step import MixedPrecision, train_iteration
from tests.conftest import StopAt

GRAPH = dict(k=4, threshold=0.3, z=2)


def _models():
    torch.manual_seed(0)
    return {
        "basnet": WithACGNet(BaSNetHead(16, 3, BaSNetConfig(hidden_channels=16, filter_hidden_channels=8,
                                                              dropout=0.0)),
                             GRAPH, epm_weight=1.0),
        "dgam": WithACGNet(DGAMHead(16, 3, DGAMConfig(attention_hidden_channels=8, latent_channels=4,
                                                      cvae_hidden_channels=8)), GRAPH, epm_weight=1.0),
    }


def _fp16_supported(device) -> bool:
    try:
        with torch.autocast(device.type, dtype=torch.float16):
            torch.nn.functional.conv1d(torch.rand(1, 2, 4, device=device), torch.rand(2, 2, 1, device=device))
        return True
    except RuntimeError:
        return False


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
@pytest.mark.parametrize("name", ["basnet", "dgam"])
def test_mixed_precision_step_trains_and_matches_fp32_closely(name, precision, device):
    if precision == "fp16" and not _fp16_supported(device):
        pytest.skip(f"float16 autocast is not supported on {device}")
    x = torch.rand(4, 24, 16, device=device)
    y = torch.eye(3, device=device)[[0, 1, 2, 0]]
    results = {}
    for p in ("fp32", precision):
        model = _models()[name].to(device)  # no dropout: both precisions see the same network
        opts = {ph.name: torch.optim.SGD(ph.parameters, lr=0.1) for ph in model.training_phases()}
        amp = MixedPrecision(p, device)
        before = [q.detach().clone() for q in model.parameters()]
        torch.manual_seed(1)
        logs = train_iteration(model, opts, x, None, y, 0, precision=amp, sync=True)
        moved = sum(float((q.detach() - b).abs().sum()) for q, b in zip(model.parameters(), before))
        assert moved > 0 and all(v == v for v in logs.values())  # updated, no NaN
        results[p] = logs
    for k, v in results["fp32"].items():  # half-precision losses close to the fp32 ones
        assert results[precision][k] == pytest.approx(v, rel=0.05, abs=0.02), k
    if precision == "fp16":
        assert amp.scaler is not None and amp.state_dict()["scale"] > 0


def test_unknown_precision_is_an_error():
    with pytest.raises(ValueError, match="train.precision"):
        MixedPrecision("fp8")


def test_fp16_resume_restores_the_loss_scaler(tiny_features, tiny_config, tmp_path):
    device = torch.device("cpu")
    if not _fp16_supported(device):
        pytest.skip("float16 autocast is not supported on this CPU build")

    def run(out, stop_at=None, resume=False):
        cfg = load_config(data=tiny_config(tiny_features, train={"precision": "fp16", "selection": "last"},
                                           model={"acgnet": {"enabled": False}}))
        return Trainer(cfg, out, resume=resume, log=lambda s: None,
                       callbacks=[StopAt(stop_at)] if stop_at else ()).fit()

    run(tmp_path / "full")
    run(tmp_path / "part", stop_at=3)
    state = load_checkpoint(tmp_path / "part/checkpoints/last.pt")
    assert state["grad_scaler"]["scale"] > 0
    run(tmp_path / "part", resume=True)
    a = load_checkpoint(tmp_path / "full/checkpoints/last.pt")
    b = load_checkpoint(tmp_path / "part/checkpoints/last.pt")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert a["grad_scaler"] == b["grad_scaler"]
