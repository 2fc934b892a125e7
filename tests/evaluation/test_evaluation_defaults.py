"""The defaults of detection_map / tal-pyg evaluate: the settings recorded with the predictions, a warning
for ground-truth subsets without any prediction, and for ground-truth labels outside the class list."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from tal_pyg.cli.main import main
from tal_pyg.evaluation import detection_map, write_predictions

GT = {"database": {
    "t1": {"subset": "test", "annotations": [{"segment": [0, 10], "label": "a"},
                                             {"segment": [20, 30], "label": "b"}]},
    "t2": {"subset": "test", "annotations": [{"segment": [5, 15], "label": "a"}]},
    "v1": {"subset": "validation", "annotations": [{"segment": [0, 5], "label": "a"},
                                                   {"segment": [8, 9], "label": "b"}]},
}}
RESULTS = {"t1": [{"label": "a", "score": 0.9, "segment": [0, 10]},
                  {"label": "b", "score": 0.8, "segment": [20, 26]}],  # tIoU 0.6
           "t2": [{"label": "a", "score": 0.7, "segment": [5, 12]}]}  # tIoU 0.7
RECORDED = {"subset": "test", "tiou_thresholds": np.linspace(0.1, 0.7, 7).tolist(), "tiou_preset": "thumos14",
            "class_names": ["a", "b"], "ambiguous": False}


@pytest.fixture
def files(tmp_path):
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps(GT))
    plain, recorded = tmp_path / "plain.json", tmp_path / "recorded.json"
    write_predictions(plain, RESULTS)
    write_predictions(recorded, RESULTS, evaluation=RECORDED)
    return gt, plain, recorded


def test_recorded_settings_are_the_python_defaults(files):
    gt, plain, recorded = files
    explicit = detection_map(gt, plain, "thumos14", subset="test")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the recorded settings leave nothing to warn about
        default = detection_map(gt, recorded)
    assert default.subset == "test" and np.array_equal(default.tiou_thresholds, explicit.tiou_thresholds)
    assert default.average_mAP == explicit.average_mAP
    # an argument wins over the record; "all" evaluates every video
    with pytest.warns(UserWarning, match="subset 'validation'"):
        assert detection_map(gt, recorded, "activitynet", subset="all").subset is None


def test_a_subset_without_predictions_warns(files):
    gt, plain, _ = files
    with pytest.warns(UserWarning, match=r"subset 'validation' \(1 videos, 2 instances\) has no prediction at "
                                         r"all.*evaluate subset 'test' only"):
        everything = detection_map(gt, plain)
    assert everything.subset is None
    assert everything.average_mAP < detection_map(gt, plain, subset="test").average_mAP


def test_a_ground_truth_label_outside_the_class_list_warns(files, tmp_path):
    gt, _, recorded = files
    db = json.loads(gt.read_text())
    db["database"]["t2"]["annotations"][0]["label"] = "aa"  # a typo in the ground truth
    bad = tmp_path / "typo.json"
    bad.write_text(json.dumps(db))
    with pytest.warns(UserWarning, match=r"label 'aa' \(video 't2', 1 instance\(s\)\) is not in the class list "
                                         r"\(2 classes; did you mean 'a'\?\)"):
        result = detection_map(bad, recorded)
    assert "aa" in result.class_names  # still evaluated (as the official evaluator does), but not silently


def test_without_a_class_list_a_near_duplicate_label_warns(tmp_path):
    db = {"database": {f"v{i}": {"subset": "test", "annotations": [{"segment": [0, 5], "label": "HighJump"}]}
                       for i in range(5)}}
    db["database"]["v9"] = {"subset": "test", "annotations": [{"segment": [0, 5], "label": "HighJmup"}]}
    with pytest.warns(UserWarning, match=r"'HighJmup' \(video 'v9', 1 instance\(s\)\) looks like a misspelling "
                                         r"of 'HighJump'"):
        detection_map(db, {"results": {"v0": [{"label": "HighJump", "score": 1.0, "segment": [0, 5]}]}})


def test_real_class_lists_raise_no_false_alarm():
    """THUMOS'14 and ActivityNet1.2 ground truth: no near-duplicate warning on the real labels."""
    from pathlib import Path

    meta = Path(__file__).resolve().parents[2] / "tal_pyg/datasets/metadata"
    for name in ("thumos14", "activitynet12"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            detection_map(meta / name / "gt.json", {"results": {}}, subset="all")
        assert not [w for w in caught if "misspelling" in str(w.message)], name


def test_cli_uses_and_prints_the_recorded_settings(files, capsys):
    gt, plain, recorded = files
    assert main(["evaluate", "--ground-truth", str(gt), "--predictions", str(recorded), "--json"]) == 0
    cap = capsys.readouterr()
    assert cap.err.splitlines() == [
        "tal-pyg evaluate: subset 'test' (predictions), tIoU thumos14 = 0.10:0.10:0.70 (predictions)"]
    out = json.loads(cap.out)
    assert out["subset"] == "test" and len(out["mAP"]) == 7
    assert main(["evaluate", "--ground-truth", str(gt), "--predictions", str(plain), "--json"]) == 0
    cap = capsys.readouterr()
    err = cap.err.splitlines()
    assert err[0] == "tal-pyg evaluate: every video (default), tIoU activitynet = 0.50:0.05:0.95 (default)"
    assert any("subset 'validation'" in line and "no prediction" in line for line in err[1:])
