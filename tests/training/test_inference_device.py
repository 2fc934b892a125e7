"""Inference and evaluation with the model on ``--device`` give the CPU detections and mAP."""
from __future__ import annotations

import copy

import pytest
import torch

from tal_pyg.config import load_config
from tal_pyg.training import data as data_mod
from tal_pyg.training.build import build_model
from tal_pyg.training.inference import evaluate_predictions, predict_split


@pytest.mark.parametrize("head", ["basnet", "bam", "dgam"])
def test_predict_and_evaluate_on_device_match_cpu(tiny_features, tiny_config, head, device):
    widths = {"basnet": {"hidden_channels": 16, "filter_hidden_channels": 8}, "bam": {"hidden_channels": 16},
              "dgam": {"attention_hidden_channels": 8, "latent_channels": 4, "cvae_hidden_channels": 8}}
    cfg = load_config(data=tiny_config(tiny_features, model={"head": head, "head_config": widths[head]}))
    dataset = data_mod.open_split(cfg.data, "test", log=lambda s: None)
    torch.manual_seed(0)
    model = build_model(cfg, dataset[0].x.shape[-1], len(dataset.class_names)).double()
    moved = copy.deepcopy(model).to(device)
    transform = data_mod.eval_transform(cfg.data)
    indices = list(range(len(dataset)))

    def items_transform(data):
        return _double(transform(data) if transform is not None else data)

    cpu = predict_split(model, dataset, indices, items_transform, dataset.class_names, torch.device("cpu"), 4)
    dev = predict_split(moved, dataset, indices, items_transform, dataset.class_names, device, 4)
    torch.testing.assert_close(torch.as_tensor(dev.video_scores), torch.as_tensor(cpu.video_scores),
                               rtol=1e-9, atol=1e-12)
    assert dev.results.keys() == cpu.results.keys()
    for name in cpu.results:
        a, b = cpu.results[name], dev.results[name]
        assert [d["label"] for d in a] == [d["label"] for d in b], name
        for x, y in zip(a, b):
            assert x["score"] == pytest.approx(y["score"], rel=1e-6, abs=1e-9)
            assert x["segment"] == pytest.approx(y["segment"], rel=1e-6, abs=1e-6)
    tious = data_mod.tiou_thresholds(cfg.data)
    m_cpu = evaluate_predictions(cpu, dataset.ground_truth, tious)
    m_dev = evaluate_predictions(dev, dataset.ground_truth, tious)
    assert m_dev["average_mAP"] == pytest.approx(m_cpu["average_mAP"], abs=1e-9)
    assert m_dev["classification_mAP"] == pytest.approx(m_cpu["classification_mAP"], abs=1e-9)


def _double(data):
    data.x = data.x.double()
    return data
