from pathlib import Path

import pytest
import torch
from torch_geometric.data import Data

from tal_pyg.config import ConfigError, load_config
from tal_pyg.training.data import eval_transform, train_transform
from tal_pyg.transforms import ScaleFeatures

BAM = str(Path(__file__).resolve().parents[2] / "experiments" / "configs" / "synthetic-small_bam.yaml")


def test_scale_features_multiplies_x_only():
    x = torch.randn(7, 3)
    out = ScaleFeatures(2.5)(Data(x=x.clone(), y=torch.ones(1, 2), num_snippets=7))
    assert torch.equal(out.x, x * 2.5) and torch.equal(out.y, torch.ones(1, 2)) and out.num_snippets == 7
    with pytest.raises(ValueError, match="scale must be > 0"):
        ScaleFeatures(0.0)


def test_feature_scale_reaches_the_training_and_test_transforms(tmp_path):
    cfg = load_config(BAM, ["data.feature_scale=2.2"])
    x = torch.arange(20.0).view(10, 2)
    data = Data(x=x, y=torch.zeros(1, 2), num_snippets=10, duration=6.4, snippet_seconds=0.64)
    test = eval_transform(cfg.data, cfg.model.head)(data.clone())
    assert torch.allclose(test.x, 2.2 * x)  # BaM's "cap" keeps all 10 snippets, then the scale
    torch.manual_seed(0)
    sampled = train_transform(cfg.data)(data.clone())
    torch.manual_seed(0)
    plain = train_transform(load_config(BAM).data)(data.clone())
    assert torch.allclose(sampled.x, 2.2 * plain.x)
    with pytest.raises(ConfigError, match="feature_scale"):
        load_config(BAM, ["data.feature_scale=0"])
