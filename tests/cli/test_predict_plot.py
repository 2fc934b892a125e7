"""`tal-pyg predict --plot` draws each head's class activation curve (WTALHead.cas), for all three heads."""
import numpy as np
import pytest
import torch

from tal_pyg.cli.predict import plot_detections, predict_features
from tal_pyg.config import load_config
from tal_pyg.training.build import build_model

matplotlib = pytest.importorskip("matplotlib")  # the plot extra

HEAD_CONFIGS = {
    "basnet": {"hidden_channels": 16, "filter_hidden_channels": 8},
    "bam": {"hidden_channels": 16},
    "dgam": {"attention_hidden_channels": 8, "latent_channels": 4, "cvae_hidden_channels": 8},
}


@pytest.mark.parametrize("acgnet", [False, True])
@pytest.mark.parametrize("head", sorted(HEAD_CONFIGS))
def test_plot_draws_the_activation_curve_of_every_head(head, acgnet, tmp_path, monkeypatch):
    cfg = load_config(data={"model": {"head": head, "head_config": HEAD_CONFIGS[head],
                                      "acgnet": {"enabled": acgnet, "k": 4}},
                            "data": {"num_segments": 40}})
    torch.manual_seed(0)
    classes = ["Alpha", "Beta", "Gamma", "Delta"]
    model = build_model(cfg, 16, len(classes))
    x = np.random.default_rng(0).standard_normal((30, 16)).astype(np.float32)
    result = predict_features(model, cfg, classes, x, "video")
    cas = result["cas"]
    assert cas is not None and cas.ndim == 2 and cas.shape[1] == len(classes) and np.isfinite(cas).all()

    import matplotlib.axes

    drawn = []
    plot = matplotlib.axes.Axes.plot

    def recording_plot(self, *args, **kwargs):
        drawn.append((np.asarray(args[1]), kwargs.get("label")))
        return plot(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", recording_plot)
    gt = [{"label": "Beta", "segment": [1.0, 4.0]}]
    plot_detections(str(tmp_path / "p.png"), "video", result, classes, gt)
    assert (tmp_path / "p.png").stat().st_size > 1000
    top = np.argsort(-result["video_scores"])[:3]
    assert [label for _, label in drawn] == ["class activation"] * 3
    for (curve, _), c in zip(drawn, top):
        np.testing.assert_array_equal(curve, cas[:, c])
