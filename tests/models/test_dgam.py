import math

import numpy as np
import pytest
import torch

from tal_pyg.models import DGAMConfig, DGAMHead
from tal_pyg.postprocess import gaussian_smooth_1d
from tal_pyg.postprocess.smoothing import gaussian_smooth_padded

ONE_STREAM = dict(num_streams=1, stream_names=("rgb",), fg_weights=(1.0,), recon_weights=(0.5,),
                  stream_weights=(1.0,), segment_thresholds=(0.03,))


def _head(d=16, c=3, **kw):
    torch.manual_seed(0)
    return DGAMHead(d, c, DGAMConfig(attention_hidden_channels=8, latent_channels=4, cvae_hidden_channels=8, **kw))


def test_shapes_and_streams():
    h = _head()
    out = h(torch.randn(2, 12, 16))
    assert h.input_streams == [(0, 8), (8, 16)]
    assert out["attention"].shape == (2, 2, 12)
    for k in ("logits_fg", "logits_bg", "video_logits"):
        assert out[k].shape == (2, 2, 4)
    assert out["tcam"].shape == (2, 2, 12, 4)
    assert out["cvae_mean"].shape == out["cvae_log_var"].shape == (2, 2, 12, 4)
    assert out["cvae_recon"].shape == out["prior_recon"].shape == out["inputs"].shape == (2, 2, 12, 8)
    assert h.snippet_scores(out).shape == (2, 2, 12)
    vs = h.video_scores(out)
    assert vs.shape == (2, 3) and bool((vs > 0).all()) and bool((vs.sum(-1) < 1).all())
    with pytest.raises(ValueError, match="equal streams"):
        DGAMHead(15, 3)


def test_forward_matches_plain_reference():
    h = _head().eval()
    x = torch.randn(1, 9, 16)
    with torch.no_grad():
        out = h(x)
        for s, (lo, hi) in enumerate(h.input_streams):
            st, xs = h.streams[s], x[0, :, lo:hi]
            lam = st.attention(xs)[:, 0]
            torch.testing.assert_close(out["attention"][s, 0], lam)
            fg = (lam[:, None] * xs).sum(0) / (lam.sum() + 1.0)
            bg = ((1 - lam)[:, None] * xs).sum(0) / ((1 - lam).sum() + 1e-6)
            torch.testing.assert_close(out["logits_fg"][s, 0], st.classifier(fg))
            torch.testing.assert_close(out["logits_bg"][s, 0], st.classifier(bg))
            torch.testing.assert_close(out["video_logits"][s, 0], st.classifier((lam[:, None] * xs).sum(0) / lam.sum()))
            torch.testing.assert_close(out["tcam"][s, 0], xs @ st.classifier.weight.t())
        w = torch.tensor([0.35, 0.65])
        probs = out["video_logits"][:, 0].softmax(-1)[:, :3]
        torch.testing.assert_close(h.video_scores(out)[0], (w[:, None] * probs).sum(0))


def test_model_loss_hand_computed():
    h = _head(d=2, c=1, guide_sigma=0.0, **ONE_STREAM)
    h.on_train_iteration(900)  # recon warm-up 900 / 1800 = 0.5
    out = {
        "attention": torch.tensor([[[0.2, 0.9]]]),
        "logits_fg": torch.tensor([[[1.0, 0.0]]]),
        "logits_bg": torch.tensor([[[0.0, 0.0]]]),
        "tcam": torch.zeros(1, 1, 2, 2),  # softmax 0.5 / 0.5: g_fg = 0.5, g_bg = 1 - 0.5
        "inputs": torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]),
        "prior_recon": torch.tensor([[[[1.0, 1.0], [3.0, 3.0]]]]),
        "mask": torch.ones(1, 2, dtype=torch.bool),
    }
    y = torch.tensor([[1.0]])
    fg = math.log(1 + math.e) - 1.0          # -log softmax([1, 0])[0]
    bg = math.log(2.0)                       # -log softmax([0, 0])[1]
    guide = ((0.3 + 0.3) + (0.4 + 0.4)) / 2
    recon = (0 + 1 + 0 + 1) / 4
    loss = h.loss(out, y, phase="model")
    assert float(loss["fg_rgb"]) == pytest.approx(fg, rel=1e-6)
    assert float(loss["bg_rgb"]) == pytest.approx(bg, rel=1e-6)
    assert float(loss["guide_rgb"]) == pytest.approx(guide, rel=1e-6)
    assert float(loss["recon_rgb"]) == pytest.approx(recon, rel=1e-6)
    assert float(loss["total"]) == pytest.approx(fg + 0.03 * bg + 0.1 * guide + 0.5 * 0.5 * recon, rel=1e-6)


def test_cvae_loss_hand_computed_and_warmup():
    h = _head(d=2, c=1, **ONE_STREAM)
    out = {
        "attention": torch.tensor([[[0.2, 0.9]]]),
        "inputs": torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]),
        "cvae_recon": torch.tensor([[[[1.0, 2.0], [3.0, 5.0]]]]),
        "cvae_mean": torch.tensor([[[[0.2], [1.9]]]]),
        "cvae_log_var": torch.tensor([[[[0.0], [math.log(2.0)]]]]),
        "mask": torch.ones(1, 2, dtype=torch.bool),
    }
    y = torch.tensor([[1.0]])
    mse = 1.0 / 4
    kl = (0.0 + (-0.5 * (1 + math.log(2.0) - 1.0 - 2.0))) / 2  # KL to N(lambda, I), per latent entry
    h.on_train_iteration(0)
    assert float(h.loss(out, y, phase="cvae")["total"]) == 0.0  # warm-up starts at 0
    h.on_train_iteration(900)
    loss = h.loss(out, y, phase="cvae")
    assert float(loss["mse_rgb"]) == pytest.approx(mse)
    assert float(loss["kl_rgb"]) == pytest.approx(kl, rel=1e-6)
    assert float(loss["total"]) == pytest.approx(10 * 0.5 * (mse + 0.1 * kl), rel=1e-6)
    h.on_train_iteration(10**6)
    assert float(h.loss(out, y, phase="cvae")["total"]) == pytest.approx(10 * (mse + 0.1 * kl), rel=1e-6)
    with pytest.raises(ValueError, match="phase"):
        h.loss(out, y, phase="other")


def test_guide_smoothing_matches_reflect_reference_per_video():
    x = torch.rand(2, 15, 3, dtype=torch.float64)
    lengths = torch.tensor([15, 6])
    got = gaussian_smooth_padded(x, lengths, sigma=1.0)
    for b, n in enumerate(lengths.tolist()):
        np.testing.assert_allclose(got[b, :n].numpy(), gaussian_smooth_1d(x[b, :n].numpy(), 1.0, axis=0), atol=1e-12)


def test_gradients_per_phase():
    h = _head().train()
    h.on_train_iteration(10**6)
    phases = {ph.name: ph for ph in h.training_phases()}
    assert list(phases) == ["cvae", "model"]
    assert not phases["cvae"].trains_input and phases["model"].trains_input
    x, y = torch.randn(3, 12, 16), torch.tensor([[1.0, 0, 0], [0, 1, 1], [0, 0, 1]])
    cvae_ids = {id(p) for p in phases["cvae"].parameters}
    model_ids = {id(p) for p in phases["model"].parameters}
    assert cvae_ids.isdisjoint(model_ids) and len(cvae_ids | model_ids) == len(list(h.parameters()))
    for name in ("cvae", "model"):
        h.zero_grad(set_to_none=True)
        h.loss(h(x), y, phase=name)["total"].backward()
        for p in phases[name].parameters:
            assert p.grad is not None and p.grad.abs().sum() > 0
        if name == "cvae":  # the attention model is a constant in the CVAE phase
            assert all(p.grad is None for p in phases["model"].parameters)


def test_mask_padding_does_not_change_real_snippets():
    h = _head().eval()
    a, b = torch.randn(1, 14, 16), torch.randn(1, 9, 16)
    x = torch.cat([a, torch.cat([b, 1e3 * torch.randn(1, 5, 16)], 1)])
    mask = torch.ones(2, 14, dtype=torch.bool)
    mask[1, 9:] = False
    with torch.no_grad():
        out, alone = h(x, mask), h(b)
    torch.testing.assert_close(out["attention"][:, 1, :9], alone["attention"][:, 0])
    torch.testing.assert_close(out["tcam"][:, 1, :9], alone["tcam"][:, 0])
    for k in ("logits_fg", "logits_bg", "video_logits"):
        torch.testing.assert_close(out[k][:, 1], alone[k][:, 0])
    assert float(out["attention"][:, 1, 9:].abs().sum()) == 0.0


def test_predict_localises_attention_and_tcam_bump():
    h = _head(c=2)
    T = 25
    att = torch.full((2, 1, T), 0.05)
    att[:, 0, 8:16] = 0.95
    tcam = torch.full((2, 1, T, 3), -4.0)
    tcam[:, 0, 8:16, 1] = 4.0
    out = {"attention": att, "tcam": tcam, "video_logits": torch.tensor([[[0.0, 3.0, 0.0]], [[0.0, 3.0, 0.0]]]),
           "mask": torch.ones(1, T, dtype=torch.bool)}
    props = h.predict(out, torch.tensor([0.64]))[0]
    assert props.shape[0] >= 1 and set(props[:, 0].tolist()) == {1.0}
    best = props[np.argmax(props[:, 1])]
    assert best[2] == pytest.approx(8 * 0.64, abs=0.64) and best[3] == pytest.approx(16 * 0.64, abs=0.64)


def test_config_validation_and_presets():
    with pytest.raises(ValueError, match="one value per stream"):
        DGAMConfig(num_streams=1)
    from pathlib import Path

    from tal_pyg.config import load_config

    configs = Path(__file__).resolve().parents[2] / "experiments" / "configs"
    anet = load_config(configs / "activitynet12_dgam.yaml").head_config()  # the reference code's ANet values
    assert anet.threshold_smoothing_sigma == 25.0 and anet.stream_weights == (0.5, 0.5)
    c = DGAMConfig()
    p = c.proposal
    assert (p.upsample, p.class_threshold, p.outer_weight, p.nms_threshold) == (20, 0.1, 0.3, 0.5)
    assert (p.class_threshold_inclusive, p.contrast, p.score_form, p.score_weight) == (False, "raw", "dgam", 0.0)
    assert (c.bg_weight, c.guide_weight, c.recon_weights, c.kl_weight) == (0.03, 0.1, (0.5, 0.3), 0.1)


def test_released_foreground_weights():
    """The released DGAM training code weighs L_fg by 1.0 for both streams on THUMOS'14 (1.5 for RGB exists
    only in a pre-release commit); ActivityNet1.2: 1.0 / 0.3 (experiments/configs/activitynet12_dgam.yaml)."""
    from pathlib import Path

    from tal_pyg.config import load_config
    from tal_pyg.models import DGAMConfig

    assert DGAMConfig().fg_weights == (1.0, 1.0)
    root = Path(__file__).resolve().parents[2] / "experiments" / "configs"
    assert load_config(root / "thumos14_dgam.yaml").head_config().fg_weights == (1.0, 1.0)
    assert load_config(root / "activitynet12_dgam.yaml").head_config().fg_weights == (1.0, 0.3)
