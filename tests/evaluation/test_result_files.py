"""Reading and validating ground truth / results files, and writing results (atomic)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tal_pyg.evaluation import (
    Predictions,
    load_ambiguous,
    load_ground_truth,
    load_predictions,
    results_from_proposals,
    write_predictions,
)
from tal_pyg.evaluation.ground_truth import read_ambiguous_file

GT = {
    "database": {
        "v1": {"subset": "test", "annotations": [{"segment": ["18.6", "24.8"], "label": "HighJump"},
                                                 {"segment": [30, 31.5], "label": "Diving"}]},
        "v2": {"subset": "train", "annotations": [{"segment": [0.0, 2.0], "label": "Shotput"}]},
        "v3": {"subset": "test", "annotations": []},
    }
}


def write(tmp_path, name, obj) -> str:
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(p)


def test_ground_truth_string_segments_and_subsets():
    gt = load_ground_truth(GT)
    assert gt.videos == ("v1", "v2", "v3") and gt.labels == ("HighJump", "Diving", "Shotput")
    np.testing.assert_array_equal(gt.segments, [[18.6, 24.8], [30.0, 31.5], [0.0, 2.0]])
    test = gt.select("test")
    assert test.videos == ("v1", "v3") and test.labels == ("HighJump", "Diving")
    np.testing.assert_array_equal(test.video_index, [0, 0])
    np.testing.assert_array_equal(test.video_labels(), [[1, 1], [0, 0]])
    train = gt.select("train")
    assert train.labels == ("Shotput",) and train.label_index.tolist() == [0]
    assert gt.select(None) is gt


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "missing key 'database'"),
        ([], "expected a JSON object"),
        ({"database": {"v": {"subset": "test"}}}, r"database\['v'\]: missing or invalid key 'annotations'"),
        ({"database": {"v": {"annotations": [{"label": "a"}]}}}, "missing key 'segment'"),
        ({"database": {"v": {"annotations": [{"segment": [0, 1]}]}}}, "missing key 'label'"),
        ({"database": {"v": {"annotations": [{"segment": [3, 1], "label": "a"}]}}}, "reversed"),
        ({"database": {"v": {"annotations": [{"segment": [-1, 1], "label": "a"}]}}}, "before 0"),
        ({"database": {"v": {"annotations": [{"segment": ["x", 1], "label": "a"}]}}}, r"\[start, end\]"),
        ({"database": {"v": {"annotations": [{"segment": [1], "label": "a"}]}}}, r"\[start, end\]"),
    ],
)
def test_ground_truth_errors(tmp_path, data, message):
    path = write(tmp_path, "gt.json", data)
    with pytest.raises(ValueError, match=message) as info:
        load_ground_truth(path)
    assert "gt.json" in str(info.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="ground-truth file not found"):
        load_ground_truth(tmp_path / "nope.json")
    with pytest.raises(ValueError, match=r"not valid JSON: .*line 1"):
        load_predictions(write(tmp_path, "r.json", '{"results": {'))
    with pytest.raises(ValueError, match="is empty"):
        load_predictions(write(tmp_path, "e.json", ""))


def test_predictions_read(tmp_path):
    data = {"version": "x", "results": {
        "v1": [{"label": "a", "score": 1, "segment": [0, 1.5]}, {"label": "b", "score": 0.5, "segment": ["2", "3"]}],
        "v2": [],
        "v3": [{"label": "a", "score": np.float32(0.25).item(), "segment": [4, 4]}],
    }}
    p = load_predictions(write(tmp_path, "r.json", data))
    assert len(p) == 3 and p.videos == ("v1", "v2", "v3") and p.labels == ("a", "b")
    np.testing.assert_array_equal(p.video_index, [0, 0, 2])
    np.testing.assert_array_equal(p.label_index, [0, 1, 0])
    np.testing.assert_array_equal(p.scores, [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(p.segments, [[0, 1.5], [2, 3], [4, 4]])


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"score": 0.5, "segment": [0, 1]}, r"results\['v'\]\[1\]: missing key 'label'"),
        ({"label": "a", "segment": [0, 1]}, r"results\['v'\]\[1\]: missing key 'score'"),
        ({"label": "a", "score": 0.5}, r"results\['v'\]\[1\]: missing key 'segment'"),
        ({"label": "a", "score": float("nan"), "segment": [0, 1]}, r"results\['v'\]\[1\]: 'score' is nan"),
        ({"label": "a", "score": float("inf"), "segment": [0, 1]}, "must be finite"),
        ({"label": "a", "score": "high", "segment": [0, 1]}, "'score' must be a number"),
        ({"label": "a", "score": None, "segment": [0, 1]}, "'score' must be a number"),
        ({"label": 3, "score": 0.5, "segment": [0, 1]}, "'label' must be a string"),
        ({"label": "a", "score": 0.5, "segment": [2, 1]}, r"results\['v'\]\[1\]: segment \[2.0, 1.0\] is reversed"),
        ({"label": "a", "score": 0.5, "segment": [-0.5, 1]}, "starts before 0"),
        ({"label": "a", "score": 0.5, "segment": [0, 1, 2]}, r"\[start, end\]"),
        ({"label": "a", "score": 0.5, "segment": [None, 1]}, "finite"),
        ("oops", r"results\['v'\]\[1\] must be an object"),
    ],
)
def test_prediction_errors(tmp_path, entry, message):
    good = {"label": "a", "score": 0.9, "segment": [0, 1]}
    path = write(tmp_path, "res.json", {"results": {"u": [good], "v": [good, entry]}})
    with pytest.raises(ValueError, match=message) as info:
        load_predictions(path)
    assert "res.json" in str(info.value)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"version": "1"}, "missing key 'results'"),
        ({"results": []}, "'results' must map video names"),
        ({"results": {"v": {"label": "a"}}}, r"results\['v'\] must be a list"),
    ],
)
def test_prediction_structure_errors(data, message):
    with pytest.raises(ValueError, match=message):
        load_predictions(data)


def test_write_predictions_roundtrip_and_atomic(tmp_path):
    res = {"v1": [{"label": "a", "score": np.float32(0.5), "segment": np.array([1.0, 2.0])}], "v2": []}
    out = tmp_path / "sub" / "results.json"
    write_predictions(out, res, version="test")
    data = json.loads(out.read_text())
    assert data["version"] == "test" and data["external_data"] == {"used": False, "details": ""}
    assert data["results"] == {"v1": [{"label": "a", "score": 0.5, "segment": [1.0, 2.0]}], "v2": []}
    assert load_predictions(out).scores.tolist() == [0.5]
    # a failing write leaves the previous file untouched and no temporary file behind
    with pytest.raises(ValueError, match="reversed"):
        write_predictions(out, {"v1": [{"label": "a", "score": 0.1, "segment": [3, 2]}]})
    assert json.loads(out.read_text()) == data
    assert sorted(p.name for p in out.parent.iterdir()) == ["results.json"]
    # Predictions objects are accepted too
    p = Predictions.from_arrays(["x", "x"], ["a", "b"], [0.3, 0.2], [[0, 1], [1, 2]])
    write_predictions(out, p)
    assert json.loads(out.read_text())["results"]["x"][1] == {"label": "b", "score": 0.2, "segment": [1.0, 2.0]}


def test_results_from_proposals():
    props = {"v": np.array([[1, 0.9, 0.0, 1.28], [0, 0.5, 2.0, 3.0]]), "w": np.zeros((0, 4))}
    res = results_from_proposals(props, ["a", "b"])
    assert res == {"v": [{"label": "b", "score": 0.9, "segment": [0.0, 1.28]},
                         {"label": "a", "score": 0.5, "segment": [2.0, 3.0]}], "w": []}
    with pytest.raises(ValueError, match="class indices"):
        results_from_proposals({"v": np.array([[2, 0.9, 0.0, 1.0]])}, ["a", "b"])


def test_load_ambiguous(tmp_path):
    path = write(tmp_path, "Ambiguous_test.txt", "video_a  0.0 1.4\r\nvideo_a  5 6\n\nvideo_b 2.5 3\n")
    amb = load_ambiguous(path)
    assert set(amb) == {"video_a", "video_b"}
    np.testing.assert_array_equal(amb["video_a"], [[0.0, 1.4], [5.0, 6.0]])
    with pytest.raises(ValueError, match=r"Ambiguous_test.txt: line 2: expected 'video start end'"):
        load_ambiguous(write(tmp_path, "Ambiguous_test.txt", "v 0 1\nv zero 1\n"))
    with pytest.raises(FileNotFoundError):
        load_ambiguous(tmp_path / "missing.txt")
    np.testing.assert_array_equal(load_ambiguous({"v": [(1, 2)]})["v"], [[1.0, 2.0]])


def test_ambiguous_file_rules(tmp_path):
    """read_ambiguous_file: line numbers as an editor counts them; the first bad segment named."""
    path = tmp_path / "Ambiguous_test.txt"
    path.write_bytes(b"a 0 1\rb 3 3\r\n\x0c\nb 1 2\n")  # CR, CRLF, a form-feed-only line, LF
    amb = read_ambiguous_file(path)
    assert list(amb) == ["a", "b"] and amb["b"].tolist() == [[3.0, 3.0], [1.0, 2.0]]  # zero length kept
    path.write_bytes(b"a 0 1\r\na 2 1\r\n\r\na 0 1\ra 5 4\n")
    with pytest.raises(ValueError, match=r": line 2: segment \[2.0, 1.0\] is reversed .*\(2 such"):
        read_ambiguous_file(path)
    with pytest.raises(FileNotFoundError, match="ambiguous-segments file not found"):
        read_ambiguous_file(tmp_path)  # a folder
