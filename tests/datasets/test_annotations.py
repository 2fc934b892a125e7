"""The datasets' and the evaluator's ActivityNet readers are one parser: same content, errors."""
from __future__ import annotations

import json
from typing import Dict

import numpy as np
import pytest

from tal_pyg.datasets.annotations import (
    VideoAnnotation,
    load_activitynet_json,
    parse_activitynet_database,
)
from tal_pyg.datasets.metadata import metadata_path
from tal_pyg.evaluation import GroundTruth, load_ground_truth
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
