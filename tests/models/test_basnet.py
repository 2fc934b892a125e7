import math

import numpy as np
import pytest
import torch

import tal_pyg

from tal_pyg.models import BaSNetConfig, BaSNetHead, BaSNetProposalConfig

SMALL = BaSNetConfig(hidden_channels=24, filter_hidden_channels=8)


def _head(d=16, c=3, **kw):
    torch.manual_seed(0)
    return BaSNetHead(d, c, BaSNetConfig(hidden_channels=24, filter_hidden_channels=8, **kw))


def test_shapes():
    h = _head()
    out = h(torch.randn(2, 20, 16))
    assert out["cas_base"].shape == out["cas_supp"].shape == (2, 20, 4)
    assert out["score_base"].shape == out["score_supp"].shape == (2, 4)
    assert out["foreground_weight"].shape == (2, 20)
    assert h.video_scores(out).shape == (2, 3)
    assert h.snippet_scores(out).shape == (2, 20)
    torch.testing.assert_close(out["score_supp"].sum(-1), torch.ones(2))


def test_scores_match_plain_topk_reference():
    h = _head().eval()
    x = torch.randn(1, 17, 16)
    with torch.no_grad():
        out = h(x)
        k = 17 // 8
        for key in ("base", "supp"):
            cas = out[f"cas_{key}"][0]  # [T, C+1]
            ref = torch.stack([cas[:, c].sort(descending=True).values[:k].mean() for c in range(4)]).softmax(0)
            torch.testing.assert_close(out[f"score_{key}"][0], ref)
        # the suppression branch is the CAS module on w * x
        w = torch.sigmoid(h.filter_module[2](h.filter_module[1](h.filter_module[0](x))))[..., 0]
        torch.testing.assert_close(out["foreground_weight"], w)
        torch.testing.assert_close(out["cas_supp"], h.cas_module(x * w[..., None], torch.ones(1, 17, dtype=torch.bool)))
        p = out["cas_supp"].softmax(-1)[..., :3].max(-1).values
        torch.testing.assert_close(h.snippet_scores(out), p)


def test_loss_hand_computed():
    h = _head(c=2, norm_weight=0.1)
    out = {
        "score_base": torch.tensor([[0.5, 0.25, 0.25]]),
        "score_supp": torch.tensor([[0.6, 0.2, 0.2]]),
        "foreground_weight": torch.tensor([[0.5, 0.25, 1.0]]),
    }
    y = torch.tensor([[1.0, 0.0]])
    # base target [1, 0, 1] / 2 ; supp target [1, 0, 0] / 1 ; BCE averaged over the 3 entries
    base = -(0.5 * math.log(0.5) + 0.5 * math.log(0.5) + math.log(0.75)
             + 0.5 * math.log(0.25) + 0.5 * math.log(0.75)) / 3
    supp = -(math.log(0.6) + math.log(0.8) + math.log(0.8)) / 3
    norm = 1.75
    loss = h.loss(out, y)
    assert float(loss["base"]) == pytest.approx(base, rel=1e-6)
    assert float(loss["supp"]) == pytest.approx(supp, rel=1e-6)
    assert float(loss["norm"]) == pytest.approx(norm)
    assert float(loss["total"]) == pytest.approx(base + supp + 0.1 * norm, rel=1e-6)
    with pytest.raises(ValueError, match="phase"):
        h.loss(out, y, phase="cvae")
    with pytest.raises(ValueError, match=r"\[B, C\]"):
        h.loss(out, torch.ones(1, 3))


def test_gradients_reach_every_parameter():
    h = _head().train()
    out = h(torch.randn(3, 20, 16))
    h.loss(out, torch.tensor([[1.0, 0, 0], [0, 1, 1], [0, 0, 1]]))["total"].backward()
    for name, p in h.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    phases = h.training_phases()
    assert [ph.name for ph in phases] == ["model"]
    assert len(phases[0].parameters) == len(list(h.parameters()))


def test_mask_padding_does_not_change_real_snippets():
    h = _head().eval()
    a, b = torch.randn(1, 20, 16), torch.randn(1, 13, 16)
    x = torch.cat([a, torch.cat([b, 1e3 * torch.randn(1, 7, 16)], 1)])  # garbage in the padding
    mask = torch.ones(2, 20, dtype=torch.bool)
    mask[1, 13:] = False
    with torch.no_grad():
        out = h(x, mask)
        alone_b = h(b)
        alone_a = h(a)
    for key in ("cas_base", "cas_supp", "foreground_weight"):
        torch.testing.assert_close(out[key][1, :13], alone_b[key][0])
        torch.testing.assert_close(out[key][0], alone_a[key][0])
    for key in ("score_base", "score_supp"):
        torch.testing.assert_close(out[key][1], alone_b[key][0])
    assert float(out["foreground_weight"][1, 13:].abs().sum()) == 0.0
    with tal_pyg.debug(), pytest.raises(ValueError, match="at least one"):  # a value check: debug mode
        h(x, torch.zeros(2, 20, dtype=torch.bool))
    with pytest.raises(ValueError, match="channels"):
        h(torch.randn(1, 5, 8))


def test_predict_localises_a_planted_bump():
    h = _head(c=2, proposal=BaSNetProposalConfig(argmax_if_none=True))
    T = 30
    cas = torch.full((1, T, 3), -2.0)
    cas[0, 10:20, 1] = 4.0
    out = {"cas_supp": cas, "score_supp": torch.tensor([[0.1, 0.8, 0.1]]), "mask": torch.ones(1, T, dtype=torch.bool)}
    props = h.predict(out, torch.tensor([0.5]))[0]
    assert props.shape[1] == 4 and set(props[:, 0].tolist()) == {1.0}
    best = props[np.argmax(props[:, 1])]
    assert best[2] == pytest.approx(10 * 0.5, abs=0.5) and best[3] == pytest.approx(20 * 0.5, abs=0.5)
    # lengths restrict to the real snippets
    short = h.predict(out, [0.5], lengths=torch.tensor([15]))[0]
    assert short[:, 3].max() <= 15 * 0.5 + 1e-9


def test_config_defaults_and_validation():
    p = BaSNetConfig().proposal
    assert p.nms_threshold == 0.7 and p.upsample == 24 and not p.argmax_if_none and p.nms_length_offset == 1.0
    with pytest.raises(ValueError, match="dropout"):
        BaSNetConfig(dropout=1.0)
    with pytest.raises(TypeError, match="BaSNetConfig"):
        BaSNetHead(8, 2, {"hidden_channels": 4})
