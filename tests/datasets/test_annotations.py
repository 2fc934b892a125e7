"""The datasets' and the evaluator's readers of ActivityNet JSON and of THUMOS'14
``Ambiguous_test.txt`` are one parser each: same content, same errors."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

from tal_pyg.datasets.annotations import (
    VideoAnnotation,
    load_activitynet_json,
    parse_activitynet_database,
    read_ambiguous,
)
from tal_pyg.datasets.metadata import metadata_path
from tal_pyg.evaluation import GroundTruth, load_ambiguous, load_ground_truth
from tal_pyg.evaluation.ground_truth import parse_database

GT = {
    "version": "VERSION 1.2",
    "database": {
        "v1": {"subset": "test", "duration": 40.5, "url": "https://example.org/v1",
               "annotations": [{"segment": ["18.6", "24.8"], "label": "HighJump"},
                               {"segment": [0, 1.5], "label": "Ambiguous"},
                               {"segment": [30, 30], "label": "Diving"}]},
        "v2": {"subset": "train", "annotations": [{"segment": [0.0, 2.0], "label": "Shotput"}],
               "video_labels": ["Shotput", "Diving"]},
        "v3": {"subset": "test", "duration": "12", "annotations": []},
        "v4": {"annotations": [{"segment": [1, 2], "label": "HighJump"}]},
    },
}


def write(tmp_path, obj) -> str:
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(obj))
    return str(path)


def instances(gt: GroundTruth) -> list:
    """(video, start, end, label) of every evaluator instance, sorted."""
    rows = zip(gt.video_index.tolist(), gt.label_index.tolist(), gt.segments.tolist())
    return sorted((gt.videos[v], s, e, gt.labels[lab]) for v, lab, (s, e) in rows)


def dataset_instances(ann: Dict[str, VideoAnnotation]) -> list:
    """The same rows from the dataset view, with its Ambiguous segments labelled back."""
    rows = [(v, s, e, lab) for v, a in ann.items() for s, e, lab in a.instances]
    rows += [(v, s, e, "Ambiguous") for v, a in ann.items() for s, e in a.ambiguous]
    return sorted(rows)


def assert_agree(gt: GroundTruth, ann: Dict[str, VideoAnnotation]) -> None:
    assert gt.videos == tuple(ann)
    assert gt.subsets == tuple(a.subset for a in ann.values())
    assert instances(gt) == dataset_instances(ann)  # exact floats


def test_both_entry_points_read_the_same_file_alike(tmp_path):
    path = write(tmp_path, GT)
    gt, ann = load_ground_truth(path), load_activitynet_json(path)
    assert_agree(gt, ann)
    assert ann == parse_activitynet_database(GT, "x")
    # Ambiguous: set apart for the datasets, an ordinary label for the evaluator
    assert ann["v1"].instances == [(18.6, 24.8, "HighJump"), (30.0, 30.0, "Diving")]
    assert ann["v1"].ambiguous == [(0.0, 1.5)] and "Ambiguous" in gt.labels
    assert (ann["v1"].duration, ann["v3"].duration, ann["v2"].duration) == (40.5, 12.0, None)
    assert ann["v2"].weak_labels() == ["Shotput", "Diving"]
    assert ann["v1"].weak_labels() == ["Diving", "HighJump"]
    assert ann["v4"].subset is None and ann["v3"].instances == [] and ann["v3"].ambiguous == []


def test_records_of_the_shared_parser():
    records = parse_database(GT, "gt")
    assert list(records) == ["v1", "v2", "v3", "v4"]
    v1 = records["v1"]
    assert v1.labels == ("HighJump", "Ambiguous", "Diving")
    assert v1.subset == "test" and v1.duration == 40.5
    np.testing.assert_array_equal(v1.segments, [[18.6, 24.8], [0.0, 1.5], [30.0, 30.0]])
    assert v1.segments.dtype == np.float64 and records["v3"].segments.shape == (0, 2)
    assert records["v2"].video_labels == ("Shotput", "Diving") and v1.video_labels is None


@pytest.mark.parametrize("dataset", ["thumos14", "activitynet12"])
def test_both_entry_points_agree_on_the_packaged_files(dataset):
    path = metadata_path(dataset, "gt.json")
    assert_agree(load_ground_truth(path), load_activitynet_json(path))


def entry(**changes) -> dict:
    """A database with one good video ``u`` and a video ``v`` built from ``changes``."""
    good = {"subset": "test", "annotations": [{"segment": [0, 1], "label": "a"}]}
    return {"database": {"u": good, "v": {**good, **changes}}}


def annotation(**changes) -> dict:
    """``entry`` whose second annotation of ``v`` is built from ``changes``."""
    good = {"segment": [0, 1], "label": "a"}
    return entry(annotations=[good, {**good, **changes}])


V = r"database\['v'\]"  # the video every error below is about
A0, A1 = r"\['annotations'\]\[0\]", r"\['annotations'\]\[1\]"


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "expected a JSON object with key 'database', got list"),
        ({"videos": {}}, "missing key 'database'"),
        ({"database": []}, "'database' must map video names to entries"),
        ({"database": {"v": "x"}}, V + " must be an object"),
        ({"database": {"v": {}}}, V + ": missing or invalid key 'annotations'"),
        (entry(annotations={}), V + ": missing or invalid key 'annotations'"),
        (entry(annotations=["x"]), V + A0 + " must be an object"),
        (entry(annotations=[{"label": "a"}]), V + A0 + ": missing key 'segment'"),
        (entry(annotations=[{"segment": [0, 1]}]), V + A0 + ": missing key 'label'"),
        (annotation(label=3), V + A1 + ": 'label' must be a string, got 3"),
        (annotation(segment=None), V + A1 + r": 'segment' must be \[start, end\] .*got None"),
        (annotation(segment="12"), V + A1 + r": .*got '12' \(not a list\)"),
        (annotation(segment=[1]), V + r".*got \[1\] \(1 value\(s\), not 2\)"),
        (annotation(segment=["a", 1]), V + r".*got \['a', 1\] \('a' is not a number\)"),
        (annotation(segment=[0, float("nan")]), V + A1 + ": .* not a pair of finite"),
        (annotation(segment=[0, "inf"]), V + ".*not a pair of finite numbers"),
        (annotation(segment=[-1, 1]), V + A1 + r": segment \[-1.0, 1.0\] starts before 0 s"),
        (annotation(segment=[2, 1]), V + A1 + r": segment \[2.0, 1.0\] is reversed \(its end"),
        (entry(subset=3), V + ": 'subset' must be a string, got 3"),
        (entry(duration=-3), V + ": 'duration' must be a positive number of seconds, got -3$"),
        (entry(duration=0), V + ": 'duration' must be a positive number"),
        (entry(duration="long"), V + ": 'duration' must be a positive number .* got 'long'"),
        (entry(duration=float("inf")), V + ": 'duration' must be a positive number"),
        (entry(video_labels="a"), V + ": 'video_labels' must be a list of strings"),
        (entry(video_labels=["a", 1]), V + ": 'video_labels' must be a list of strings"),
    ],
)
def test_each_error_is_raised_alike_by_both_entry_points(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(ValueError, match=message) as evaluator:
        load_ground_truth(path)
    with pytest.raises(ValueError) as datasets:
        load_activitynet_json(path)
    assert str(datasets.value) == str(evaluator.value)
    assert str(evaluator.value).startswith(f"{path}: ")


@pytest.mark.parametrize("content, message", [("", "is empty"), ("{", "not valid JSON")])
@pytest.mark.parametrize("load", [load_ground_truth, load_activitynet_json])
def test_unreadable_files_alike(tmp_path, load, content, message):
    path = tmp_path / "gt.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load(path)
    with pytest.raises(FileNotFoundError, match="ground-truth file not found"):
        load(tmp_path / "nope.json")


# --- THUMOS'14 Ambiguous_test.txt: evaluation.ground_truth.read_ambiguous_file for both ---------

SHARED_AMBIGUOUS = (Path(__file__).resolve().parents[3]
                    / "shared/data/thumos14/Thumos14reduced-Annotations/Ambiguous_test.txt")
HAND_MADE = (b"video_b  0.0 1.4\r\nvideo_a  5 6\r\n\r\n \t \r\nvideo_b\t2.5   3\r\n"
             b"video_a 7 7\r\nvideo_b  0.0 1.4\r\n")
EXPECTED = "expected 'video start end', got "


def ambiguous_agree(path) -> Dict[str, list]:
    """The datasets' map, after checking that the evaluator read exactly the same."""
    evaluator, datasets = load_ambiguous(path), read_ambiguous(path)
    assert list(evaluator) == list(datasets)
    for video, segments in datasets.items():
        assert all(type(x) is float for seg in segments for x in seg)
        assert evaluator[video].dtype == np.float64
        assert evaluator[video].tolist() == [list(seg) for seg in segments]  # exact floats
    return datasets


@pytest.mark.parametrize("path", [metadata_path("thumos14", "Ambiguous_test.txt"), SHARED_AMBIGUOUS],
                         ids=["packaged", "shared"])
def test_ambiguous_entry_points_agree_on_the_real_file(tmp_path, path):
    if not Path(path).is_file():
        pytest.skip(f"{path} not available")
    amb = ambiguous_agree(path)
    assert len(amb) == 37 and sum(map(len, amb.values())) == 99
    assert amb["video_test_0000278"][:2] == [(0.0, 1.4), (95.7, 97.2)]
    crlf = tmp_path / "Ambiguous_test.txt"  # DELU's copy: the same lines with CRLF
    crlf.write_bytes(Path(path).read_bytes().replace(b"\n", b"\r\n"))
    assert ambiguous_agree(crlf) == amb


def test_ambiguous_entry_points_agree_on_a_hand_made_file(tmp_path):
    path = tmp_path / "Ambiguous_test.txt"
    path.write_bytes(HAND_MADE)  # CRLF, blank and whitespace-only lines, tabs, a repeated line
    amb = ambiguous_agree(path)
    assert list(amb) == ["video_b", "video_a"]
    assert amb == {"video_b": [(0.0, 1.4), (2.5, 3.0), (0.0, 1.4)],
                   "video_a": [(5.0, 6.0), (7.0, 7.0)]}
    path.write_bytes(b"")
    assert ambiguous_agree(path) == {}


@pytest.mark.parametrize(
    "line, message",
    [
        ("v 0 1 2", EXPECTED + r"'v 0 1 2' \(4 field\(s\), not 3\)"),
        ("v 0", EXPECTED + r"'v 0' \(2 field\(s\), not 3\)"),
        ("v", EXPECTED + r"'v' \(1 field\(s\), not 3\)"),
        ("v zero 1", EXPECTED + r"'v zero 1' \('zero' is not a number\)"),
        ("v 0 1.4s", EXPECTED + r"'v 0 1.4s' \('1.4s' is not a number\)"),
        ("v 0 nan", r"segment \[0.0, nan\] is not a pair of finite numbers \(1 such"),
        ("v -inf 1", r"segment \[-inf, 1.0\] is not a pair of finite numbers"),
        ("v -0.5 1", r"segment \[-0.5, 1.0\] starts before 0 s"),
        ("v 2 1", r"segment \[2.0, 1.0\] is reversed \(its end is before its start\)"),
    ],
)
def test_each_malformed_ambiguous_line_is_raised_alike_by_both_entry_points(tmp_path, line, message):
    path = tmp_path / "Ambiguous_test.txt"
    path.write_bytes(b"v  0.0 1.4\r\n\r\n" + line.encode() + b"\r\nv  5 6\r\n")  # line 3
    with pytest.raises(ValueError, match=re.escape(f"{path}: line 3: ") + message) as evaluator:
        load_ambiguous(path)
    with pytest.raises(ValueError) as datasets:
        read_ambiguous(path)
    assert str(datasets.value) == str(evaluator.value)


@pytest.mark.parametrize("load", [load_ambiguous, read_ambiguous])
def test_unreadable_ambiguous_files_alike(tmp_path, load):
    with pytest.raises(FileNotFoundError, match="ambiguous-segments file not found: .*nope.txt"):
        load(tmp_path / "nope.txt")
    path = tmp_path / "Ambiguous_test.txt"
    path.write_bytes(b"v 0 1\nv\xff 2 3\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}: ") + "ambiguous-segments file is not UTF-8"):
        load(path)
