"""A short training run on a tiny synthetic set: the loss goes down and classification beats chance.

Each test fails if the model learns nothing: the classification mAP of a model that has not learnt is
about the label frequency (~0.25 here; ~0.3 when trained on shuffled labels), the threshold is 0.9.
"""
import numpy as np
import pytest
import torch
from tests._reference.tiny import make_tiny_set, train

from tal_pyg.evaluation import classification_map

from tal_pyg.models import (BaMConfig, BaMHead, BaSNetConfig, BaSNetHead, BaSNetProposalConfig, DGAMConfig, DGAMHead,
                            WithACGNet)

D, C, T = 32, 6, 24


def _data():
    x_tr, y_tr, _ = make_tiny_set(64, C, D, T, seed=0)
    x_te, y_te, seg_te = make_tiny_set(24, C, D, T, seed=1)
    return x_tr, y_tr, x_te, y_te, seg_te


def _build(name):
    torch.manual_seed(0)
    if name.startswith("basnet"):
        head = BaSNetHead(D, C, BaSNetConfig(hidden_channels=32, filter_hidden_channels=16,
                                              proposal=BaSNetProposalConfig(argmax_if_none=True)))
    elif name == "bam":
        head = BaMHead(D, C, BaMConfig(hidden_channels=32, feature_margin=10.0))
    else:
        head = DGAMHead(D, C, DGAMConfig(attention_hidden_channels=16, latent_channels=8, cvae_hidden_channels=16,
                                         recon_warmup_iterations=20, cvae_warmup_iterations=20))
    if name.endswith("+acgnet"):
        return WithACGNet(head, dict(k=5, threshold=0.5, z=3), epm_weight=0.1)
    return head


def _mean_iou_of_best(props, segments, seconds):
    ious = []
    for p, segs in zip(props, segments):
        for c, s, e in segs:
            own = p[p[:, 0] == c]
            if not len(own):
                ious.append(0.0)
                continue
            best = own[np.argmax(own[:, 1])]
            inter = max(0.0, min(best[3], e * seconds) - max(best[2], s * seconds))
            ious.append(inter / (max(best[3], e * seconds) - min(best[2], s * seconds)))
    return float(np.mean(ious))


@pytest.mark.parametrize("name,lr,iterations", [
    ("basnet", 3e-3, 100), ("bam", 1e-3, 100), ("dgam", 1e-2, 100), ("basnet+acgnet", 3e-3, 100),
])
def test_short_training_run_learns(name, lr, iterations):
    x_tr, y_tr, x_te, y_te, seg_te = _data()
    model = _build(name)
    with torch.no_grad():
        model.eval()
        chance = classification_map(model.video_scores(model(x_te)), y_te)
    history = train(model, x_tr, y_tr, iterations=iterations, lr=lr)
    phase = "model"
    first = np.mean([h[phase] for h in history[:5]])
    last = np.mean([h[phase] for h in history[-5:]])
    assert last < 0.85 * first, (first, last)
    with torch.no_grad():
        out = model(x_te)
    ap = classification_map(model.video_scores(out), y_te)
    assert ap > 0.9 and ap > chance + 0.3, (chance, ap)
    props = model.predict(out, [0.64] * len(x_te))
    assert len(props) == len(x_te) and all(p.ndim == 2 and p.shape[1] == 4 for p in props)
    # localisation: the best proposal of each true class overlaps the planted action
    assert _mean_iou_of_best(props, seg_te, 0.64) > 0.4


def test_negative_control_shuffled_labels_do_not_pass():
    """The thresholds above are not reachable without learning the labels: training on shuffled labels
    stays near the label frequency."""
    x_tr, y_tr, x_te, y_te, _ = _data()
    model = _build("bam")
    perm = torch.randperm(len(y_tr), generator=torch.Generator().manual_seed(3))
    train(model, x_tr, y_tr[perm], iterations=100, lr=1e-3)
    with torch.no_grad():
        ap = classification_map(model.video_scores(model(x_te)), y_te)
    assert ap < 0.6, ap
