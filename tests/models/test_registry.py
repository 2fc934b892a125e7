import dataclasses

import pytest

from tal_pyg.config.dataclass_io import from_dict, to_dict
from tal_pyg.models import HEADS, BaMHead, BaSNetHead, DGAMHead, WTALHead


def test_registry_contents():
    assert set(HEADS) == {"basnet", "bam", "dgam"}
    assert HEADS["basnet"][0] is BaSNetHead and HEADS["bam"][0] is BaMHead and HEADS["dgam"][0] is DGAMHead
    for head_cls, cfg_cls in HEADS.values():
        assert issubclass(head_cls, WTALHead) and dataclasses.is_dataclass(cfg_cls)


@pytest.mark.parametrize("name", sorted(HEADS))
def test_configs_round_trip_through_the_experiment_loader(name):
    head_cls, cfg_cls = HEADS[name]
    cfg = cfg_cls()
    assert from_dict(cfg_cls, to_dict(cfg)) == cfg  # every field is typed and YAML-serialisable
    for f in dataclasses.fields(cfg_cls):
        assert f.type not in (None, "Any"), f.name
    head = head_cls(16, 3, from_dict(cfg_cls, {"proposal": {"upsample": 4}}))
    assert head.config.proposal.upsample == head.proposal_config.upsample == 4
    # the other localisation values stay the head's own, not the generic ProposalConfig's
    assert dataclasses.replace(head.proposal_config, upsample=cfg.proposal.upsample) == cfg.proposal


@pytest.mark.parametrize("name", sorted(HEADS))
def test_reset_parameters_reinitialises_every_layer(name):
    import torch

    head_cls, cfg_cls = HEADS[name]
    head = head_cls(16, 3, cfg_cls(hidden_channels=32) if "hidden_channels" in cfg_cls.__dataclass_fields__
                    else cfg_cls())
    before = {k: v.clone() for k, v in head.state_dict().items()}
    torch.manual_seed(123)
    head.reset_parameters()
    for k, v in head.state_dict().items():
        assert v.shape == before[k].shape
        if k.endswith("weight"):
            assert not torch.equal(v, before[k]), k
