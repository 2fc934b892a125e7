import math

import numpy as np
import pytest
import torch

from tal_pyg.models import BaMConfig, BaMHead
from tal_pyg.postprocess import minmax_normalize


def _head(d=16, c=3, **kw):
    torch.manual_seed(0)
    return BaMHead(d, c, BaMConfig(hidden_channels=24, **kw))


def test_shapes():
    h = _head()
    out = h(torch.randn(2, 27, 16))
    assert out["cas"].shape == out["cas_softmax"].shape == (2, 27, 3)
    assert out["embedding"].shape == (2, 27, 24)
    assert out["magnitudes"].shape == (2, 27)
    assert out["score_act"].shape == out["score_bkg"].shape == (2, 3)
    assert out["feat_act_mean"].shape == out["feat_bkg_mean"].shape == (2, 24)
    assert out["magnitude_act"].shape == out["magnitude_bkg"].shape == (2,)
    assert h.snippet_scores(out).shape == (2, 27) and h.video_scores(out).shape == (2, 3)


def test_eval_selection_matches_plain_reference():
    h = _head().eval()
    x = torch.randn(1, 40, 16)
    with torch.no_grad():
        out = h(x)
        e, cas, m = out["embedding"][0], out["cas"][0], out["magnitudes"][0]
        torch.testing.assert_close(m, e.norm(dim=-1))
        k_act, k_bkg = 40 // 9, 40 // 4
        act_idx = m.argsort(descending=True)[:k_act]
        bkg_idx = (m.max() - m).argsort(descending=True)[:k_bkg]
        torch.testing.assert_close(out["feat_act_mean"][0], e[act_idx].mean(0))
        torch.testing.assert_close(out["feat_bkg_mean"][0], e[bkg_idx].mean(0))
        torch.testing.assert_close(out["magnitude_act"][0], m[act_idx].mean())
        torch.testing.assert_close(out["magnitude_bkg"][0], m[bkg_idx].mean())
        s_act = torch.stack([cas[:, c].sort(descending=True).values[:k_act].mean() for c in range(3)]).softmax(0)
        torch.testing.assert_close(out["score_act"][0], s_act)
        torch.testing.assert_close(out["score_bkg"][0], cas[bkg_idx].mean(0).softmax(0))


def test_training_selection_uses_a_dropout_mask():
    h = _head().train()
    torch.manual_seed(1)
    x = torch.randn(4, 40, 16)
    a = h(x)["magnitude_act"]
    b = h(x)["magnitude_act"]
    assert not torch.allclose(a, b)  # different random masks (and dropout) per forward


def test_loss_hand_computed():
    h = _head(c=2, feature_margin=10.0, um_weight=0.01, be_weight=0.5)
    out = {
        "score_act": torch.tensor([[0.7, 0.3]]),
        "score_bkg": torch.tensor([[0.4, 0.6]]),
        "feat_act_mean": torch.tensor([[3.0, 4.0]]),   # norm 5 -> max(0, 10 - 5) = 5
        "feat_bkg_mean": torch.tensor([[0.0, 1.0]]),   # norm 1
    }
    y = torch.tensor([[1.0, 0.0]])
    cls = -(math.log(0.7) + math.log(0.7)) / 2                 # BCE([.7, .3], [1, 0])
    be = -(0.5 * math.log(0.4) + 0.5 * math.log(0.6) + 0.5 * math.log(0.6) + 0.5 * math.log(0.4)) / 2
    um = (5.0 + 1.0) ** 2
    loss = h.loss(out, y)
    assert float(loss["cls"]) == pytest.approx(cls, rel=1e-6)
    assert float(loss["be"]) == pytest.approx(be, rel=1e-6)
    assert float(loss["um"]) == pytest.approx(um)
    assert float(loss["total"]) == pytest.approx(cls + 0.01 * um + 0.5 * be, rel=1e-6)
    out["feat_act_mean"] = torch.tensor([[30.0, 40.0]])  # beyond the margin: no action term
    assert float(h.loss(out, y)["um"]) == pytest.approx(1.0)


def test_gradients_reach_every_parameter():
    h = _head().train()
    out = h(torch.randn(3, 30, 16))
    h.loss(out, torch.tensor([[1.0, 0, 0], [0, 1, 1], [0, 0, 1]]))["total"].backward()
    for name, p in h.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_mask_padding_does_not_change_real_snippets():
    h = _head().eval()
    a, b = torch.randn(1, 30, 16), torch.randn(1, 19, 16)
    x = torch.cat([a, torch.cat([b, 1e3 * torch.randn(1, 11, 16)], 1)])
    mask = torch.ones(2, 30, dtype=torch.bool)
    mask[1, 19:] = False
    with torch.no_grad():
        out, alone = h(x, mask), h(b)
    for key in ("cas", "embedding", "magnitudes"):
        torch.testing.assert_close(out[key][1, :19], alone[key][0])
    for key in ("score_act", "score_bkg", "feat_act_mean", "feat_bkg_mean", "magnitude_act", "magnitude_bkg"):
        torch.testing.assert_close(out[key][1], alone[key][0])


def test_predict_both_branches_and_hand_example():
    h = _head(c=2)
    T = 20
    cas = torch.full((1, T, 2), -3.0)
    cas[0, 6:12, 0] = 3.0
    mag = torch.full((1, T), 1.0)
    mag[0, 6:12] = 9.0
    out = {"cas": cas, "cas_softmax": cas.softmax(-1), "magnitudes": mag,
           "magnitude_act": torch.tensor([9.0]), "magnitude_bkg": torch.tensor([1.0]),
           "score_act": torch.tensor([[0.9, 0.1]]), "mask": torch.ones(1, T, dtype=torch.bool)}
    cas_n, mag_n = h.localization_scores(out, 0, T)
    np.testing.assert_allclose(mag_n, minmax_normalize(mag[0].numpy(), lower=1.0, upper=9.0))
    np.testing.assert_allclose(cas_n, minmax_normalize(cas.softmax(-1)[0].numpy() * mag_n[:, None]))
    props = h.predict(out, [0.64])[0]
    assert set(props[:, 0].tolist()) == {0.0}
    best = props[np.argmax(props[:, 1])]
    assert best[2] == pytest.approx(6 * 0.64, abs=0.64) and best[3] == pytest.approx(12 * 0.64, abs=0.64)
    assert ((props[:, 3] - props[:, 2]) >= 2 * 0.64 / 24 - 1e-12).all()  # min length 2 upsampled steps


def test_config_defaults():
    c = BaMConfig()
    assert (c.r_act, c.r_bkg, c.feature_margin, c.um_weight, c.be_weight) == (9.0, 4.0, 100.0, 5e-4, 1.0)
    assert c.magnitude_thresholds[0] == 0.4 and c.magnitude_thresholds[-1] == 0.6 and len(c.magnitude_thresholds) == 9
    assert (c.proposal.class_threshold, c.proposal.nms_threshold, c.proposal.min_length) == (0.2, 0.6, 2)
    assert c.proposal.minmax_clip and c.proposal.nms_length_offset == 1.0
