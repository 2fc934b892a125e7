"""``tal-pyg evaluate``: table, --json, presets, ambiguous, and one-line errors (exit 2)."""
from __future__ import annotations

import json

import pytest

from tal_pyg.cli.main import main

GT = {"database": {
    "v": {"subset": "test", "annotations": [{"segment": ["0.0", "10.0"], "label": "a"},
                                            {"segment": ["20.0", "30.0"], "label": "b"}]},
    "t": {"subset": "train", "annotations": [{"segment": [0, 5], "label": "a"}]},
}}
RESULTS = {"version": "x", "results": {"v": [
    {"label": "a", "score": 0.9, "segment": [0.0, 10.0]},
    {"label": "b", "score": 0.8, "segment": [20.0, 26.0]},  # tIoU 0.6
]}}


@pytest.fixture
def files(tmp_path):
    gt, res = tmp_path / "gt.json", tmp_path / "results.json"
    gt.write_text(json.dumps(GT))
    res.write_text(json.dumps(RESULTS))
    return str(gt), str(res)


def test_table(files, capsys):
    gt, res = files
    assert main(["evaluate", "--ground-truth", gt, "--predictions", res, "--subset", "test",
                 "--preset", "thumos14", "--per-class"]) == 0
    out = capsys.readouterr().out
    assert "0.10" in out and "0.70" in out and "mAP" in out and "subset 'test'" in out
    # tIoU 0.6: class b counts up to 0.6 -> mAP 50 % at 0.7
    assert out.splitlines()[-2].split()[-2] == "50.00"


def test_json_output_and_file(files, capsys, tmp_path):
    gt, res = files
    out_file = tmp_path / "metrics.json"
    assert main(["evaluate", "--ground-truth", gt, "--predictions", res, "--subset", "test",
                 "--tiou", "0.5", "0.7", "--json", "--output", str(out_file)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tiou_thresholds"] == [0.5, 0.7]
    assert data["mAP"] == [1.0, 0.5] and data["average_mAP"] == 0.75
    assert data["ap_per_class"] == {"a": [1.0, 1.0], "b": [1.0, 0.0]}
    assert json.loads(out_file.read_text()) == data


def test_ambiguous_option(files, capsys, tmp_path):
    gt, res = files
    amb = tmp_path / "Ambiguous_test.txt"
    amb.write_text("v  1.0 2.0\n")
    assert main(["evaluate", "--ground-truth", gt, "--predictions", res, "--subset", "test",
                 "--tiou", "0.5", "--ambiguous", str(amb), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["num_dropped_ambiguous"] == 1 and data["ap_per_class"]["a"] == [0.0]


def test_warning_is_one_line(files, capsys, tmp_path):
    gt, _ = files
    res = tmp_path / "r.json"
    res.write_text(json.dumps({"results": {"other": [{"label": "a", "score": 1, "segment": [0, 1]}]}}))
    assert main(["evaluate", "--ground-truth", gt, "--predictions", str(res), "--subset", "test"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "tal-pyg evaluate: subset 'test' (argument), tIoU activitynet = 0.50:0.05:0.95 (default)"
    assert len(err) == 2 and "warning" in err[1] and "false positives" in err[1]


@pytest.mark.parametrize(
    "results, message",
    [
        ('{"results": {"v": [{"label": "zzz", "score": 1, "segment": [0, 1]}]}}', "not in the ground truth"),
        ('{"results": {"v": [{"label": "a", "score": 1, "segment": [-1, 1]}]}}', "starts before 0"),
        ('{"results": {"v": [{"label": "a", "score": 1, "segment": [5, 1]}]}}', "reversed"),
        ('{"results": {"v": [{"label": "a", "score": NaN, "segment": [0, 1]}]}}', "'score' is nan"),
        ('{"results": {"v": [{"label": "a", "segment": [0, 1]}]}}', "missing key 'score'"),
        ('{"version": 1}', "missing key 'results'"),
        ('{"results": {"v": [', "not valid JSON"),
    ],
)
def test_errors_are_one_line_exit_2(files, capsys, tmp_path, results, message):
    gt, _ = files
    res = tmp_path / "bad.json"
    res.write_text(results)
    assert main(["evaluate", "--ground-truth", gt, "--predictions", str(res)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("tal-pyg evaluate: error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_empty_results_warn(files, capsys, tmp_path):
    gt, _ = files
    res = tmp_path / "empty.json"
    res.write_text('{"results": {}}')
    assert main(["evaluate", "--ground-truth", gt, "--predictions", str(res), "--json"]) == 0
    captured = capsys.readouterr()
    assert "no predictions" in captured.err and json.loads(captured.out)["average_mAP"] == 0.0


def test_missing_file_and_exclusive_options(files, capsys):
    gt, res = files
    assert main(["evaluate", "--ground-truth", gt + ".missing", "--predictions", res]) == 2
    assert "ground-truth file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["evaluate", "--ground-truth", gt, "--predictions", res, "--tiou", "0.5", "--preset", "thumos14"])
