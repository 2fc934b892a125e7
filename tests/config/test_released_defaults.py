"""'auto' config values become each head's released settings (docs/departures.md)."""
import numpy as np
import pytest

from tal_pyg.config import ConfigError, load_config
from tal_pyg.config.experiment import released_selection_metric, released_test_sampling
from tal_pyg.evaluation.selection import parse_selection_metric


@pytest.mark.parametrize("head,preset,expected", [
    ("basnet", "thumos14", {"test_sampling": "uniform"}),
    ("bam", "thumos14", {"test_sampling": "cap"}),
    ("dgam", "thumos14", {"test_sampling": "clamp", "test_min_segments": 50, "test_num_segments": 400}),
    ("dgam", "activitynet", {"test_sampling": "clamp", "test_min_segments": 2, "test_num_segments": 200}),
])
def test_released_test_sampling(head, preset, expected):
    assert released_test_sampling(head, preset) == expected


def test_auto_is_filled_in_and_round_trips():
    cfg = load_config(data={"model": {"head": "dgam"}, "data": {"tiou_preset": "activitynet"}})
    d = cfg.data
    assert (d.test_sampling, d.test_min_segments, d.test_num_segments) == ("clamp", 2, 200)
    again = load_config(data=cfg.to_dict())
    assert again.differences(cfg) == []
    # a value the user gives is kept
    cfg = load_config(data={"model": {"head": "dgam"}, "data": {"test_num_segments": 300}})
    assert (cfg.data.test_min_segments, cfg.data.test_num_segments) == (50, 300)
    # an explicit rule is not replaced
    cfg = load_config(data={"model": {"head": "bam"}, "data": {"test_sampling": "uniform"}})
    assert cfg.data.test_sampling == "uniform"


def test_bad_test_sampling_values():
    with pytest.raises(ConfigError, match="test_sampling"):
        load_config(data={"data": {"test_sampling": "every"}})
    with pytest.raises(ConfigError, match="needs data.test_min_segments"):
        load_config(data={"data": {"test_sampling": "clamp", "test_num_segments": 10}})
    with pytest.raises(ConfigError, match="must not exceed"):
        load_config(data={"data": {"test_sampling": "clamp", "test_min_segments": 20, "test_num_segments": 10}})


@pytest.mark.parametrize("head,preset,expected", [("basnet", "thumos14", "average@thumos14-full"),
                                                  ("bam", "thumos14", "average@thumos14"),
                                                  ("dgam", "thumos14", "mAP@0.5"),
                                                  ("dgam", "activitynet", "average"),
                                                  ("basnet", "activitynet", "average")])
def test_released_selection_metric_under_test_oracle(head, preset, expected):
    assert released_selection_metric(head, preset) == expected
    cfg = load_config(data={"model": {"head": head}, "data": {"tiou_preset": preset},
                            "train": {"selection": "test-oracle"}})
    assert cfg.train.selection_metric == expected
    assert load_config(data={"model": {"head": head}}).train.selection_metric == "average"  # selection: val


def test_selection_metric_values():
    metrics = {"tiou_thresholds": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], "mAP": [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
               "average_mAP": 0.4}
    assert parse_selection_metric("average").value(metrics) == 0.4
    assert parse_selection_metric("mAP@0.5").value(metrics) == pytest.approx(0.3)
    assert parse_selection_metric("average@thumos14").value(metrics) == pytest.approx(0.4)
    full = parse_selection_metric("average@thumos14-full")
    np.testing.assert_allclose(full.tious, np.linspace(0.1, 0.9, 9))
    with pytest.raises(ValueError, match="lacks tIoU thresholds"):
        full.value(metrics)  # 0.8 and 0.9 were not evaluated and no predictions are given
    for bad in ("best", "mAP@x", "mAP@1.5", "average@coco"):
        with pytest.raises(ConfigError, match="selection_metric"):
            load_config(data={"train": {"selection_metric": bad}})


def test_selection_metric_recomputes_missing_thresholds():
    """mAP@0.8/0.9 are evaluated from the predictions when the evaluation lacks them."""
    gt = {"database": {"v": {"subset": "test", "duration": 10.0,
                             "annotations": [{"label": "a", "segment": [0.0, 4.0]}]}}}
    preds = {"results": {"v": [{"label": "a", "score": 0.9, "segment": [0.0, 3.4]}]}}  # tIoU 0.85
    from tal_pyg.evaluation import detection_map

    at7 = detection_map(gt, preds, tiou_thresholds="thumos14").to_dict()
    value = parse_selection_metric("average@thumos14-full").value(at7, preds, gt)
    assert value == pytest.approx(8 / 9)  # AP 1 at 0.1..0.8, 0 at 0.9
