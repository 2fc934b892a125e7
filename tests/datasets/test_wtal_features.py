import json
import warnings

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch

from tal_pyg.datasets import WTALFeatures, detect_layout
from tal_pyg.datasets import npy as npy_module

from tests._reference.layouts import CLASSES, default_videos, write_basnet


def test_reads_basnet_layout(basnet_root):
    root, feats = basnet_root
    ds = WTALFeatures(root, split="train")
    assert ds.layout == "basnet" and len(ds) == 3 and ds.class_names == CLASSES and ds.num_classes == 3
    assert ds.video_names == ["v1", "v2", "v3"]
    d = ds[1]
    rgb, flow = feats["v2"]
    assert d.x.dtype == torch.float32 and d.x.shape == (7, 8)
    assert torch.equal(d.x, torch.from_numpy(np.concatenate([rgb, flow], axis=1)))  # RGB first
    assert d.y.shape == (1, 3) and d.y.tolist() == [[0.0, 1.0, 1.0]]
    assert d.video_name == "v2" and d.duration == 4.6 and d.num_snippets == 7
    assert d.snippet_seconds == pytest.approx(16 / 25)
    # segment past the end is clipped in gt_segments, kept in ground_truth
    assert torch.allclose(d.gt_segments, torch.tensor([[1.0, 2.0], [3.0, 4.6]]))
    assert d.gt_labels.tolist() == [1, 2]
    assert ds.ground_truth["database"]["v2"]["annotations"][1]["segment"] == [3.0, 9.9]
    # missing duration -> T * snippet_seconds
    assert ds[2].duration == pytest.approx(12 * 0.64)
    assert ds.ground_truth["database"]["v3"]["duration"] == pytest.approx(12 * 0.64)
    assert all(e["subset"] == "train" for e in ds.ground_truth["database"].values())
    # no per-video key that PyG would shift
    assert not any("index" in k for k in d.keys())


def test_modalities_and_batching(basnet_root):
    root, feats = basnet_root
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. torch's "non-writable array" warning
        rgb = WTALFeatures(root, split="train", modality="rgb")[0]
        flow = WTALFeatures(root, split="train", modality="flow")[0]
    rgb.x[0, 0] = -1.0  # a private copy: the file is unchanged
    assert WTALFeatures(root, split="train", modality="rgb")[0].x[0, 0] != -1.0
    rgb.x[0, 0] = float(feats["v1"][0][0, 0])
    assert torch.equal(rgb.x, torch.from_numpy(feats["v1"][0]))
    assert torch.equal(flow.x, torch.from_numpy(feats["v1"][1]))
    ds = WTALFeatures(root, split="train")
    b = Batch.from_data_list([ds[0], ds[1]])
    assert b.y.shape == (2, 3) and b.video_name == ["v1", "v2"] and b.x.shape == (17, 8)


def test_test_split_and_ambiguous(basnet_root):
    root, _ = basnet_root
    (root / "Ambiguous_test.txt").write_text("t2  0.0 1.4\r\nt1  5.0 5.5\r\n")
    ds = WTALFeatures(root, split="test")
    assert ds.video_names == ["t1", "t2"]
    assert ds.ambiguous == {"t1": [(2.0, 2.5), (5.0, 5.5)], "t2": [(0.0, 1.4)]}
    # the Ambiguous label is not a class and not in the ground truth
    labels = [a["label"] for e in ds.ground_truth["database"].values() for a in e["annotations"]]
    assert "Ambiguous" not in labels and ds[0].y.tolist() == [[0.0, 0.0, 1.0]]


def test_opening_reads_headers_only(basnet_root, monkeypatch):
    root, _ = basnet_root
    calls = []
    real = npy_module.load_npy
    monkeypatch.setattr(npy_module, "load_npy", lambda *a, **k: calls.append(a) or real(*a, **k))
    import tal_pyg.datasets.layouts.base as base
    monkeypatch.setattr(base, "load_npy", lambda *a, **k: calls.append(a) or real(*a, **k))
    ds = WTALFeatures(root, split="train")
    assert calls == []  # nothing loaded when opening
    ds[0]
    assert len(calls) == 2  # rgb + flow of one video
    arr = real(calls[0][0])
    assert isinstance(arr, np.memmap)  # memory-mapped read


def test_joint_file_variant(tmp_path):
    root = tmp_path / "joint"
    (root / "features" / "train").mkdir(parents=True)
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    np.save(root / "features" / "train" / "a.npy", x)
    (root / "gt.json").write_text(json.dumps({"database": {"a": {"subset": "train", "annotations": [
        {"segment": [0, 1], "label": "Alpha"}]}}}))
    assert WTALFeatures(root, split="train")[0].x.tolist() == x.tolist()
    assert WTALFeatures(root, split="train", modality="flow")[0].x.tolist() == x[:, 3:].tolist()


def test_layout_detection_and_override(basnet_root, tmp_path):
    root, _ = basnet_root
    assert detect_layout(root) == "basnet"
    with pytest.raises(ValueError, match="cannot detect"):
        detect_layout(tmp_path)
    with pytest.raises(FileNotFoundError, match="train_data"):
        WTALFeatures(root, split="train", layout="dgam")
    with pytest.raises(ValueError, match="unknown layout"):
        WTALFeatures(root, split="train", layout="nope")


# ---------------------------------------------------------------------------------------------- errors
def _break(root, what):
    feat = root / "features" / "train"
    if what == "missing_flow":
        (feat / "flow" / "v2.npy").unlink()
        return "v2.npy", FileNotFoundError, "not found"
    if what == "length":
        np.save(feat / "flow" / "v2.npy", np.zeros((6, 4), np.float32))
        return "v2.npy", ValueError, "length mismatch"
    if what == "dim":
        np.save(feat / "rgb" / "v2.npy", np.zeros((7, 5), np.float32))
        return "v2.npy", ValueError, "dimension 9 differs from the expected 8"
    if what == "ndim":
        np.save(feat / "rgb" / "v2.npy", np.zeros((7,), np.float32))
        return "v2.npy", ValueError, "2-D"
    if what == "empty":
        np.save(feat / "rgb" / "v2.npy", np.zeros((0, 4), np.float32))
        np.save(feat / "flow" / "v2.npy", np.zeros((0, 4), np.float32))
        return "v2.npy", ValueError, "empty array"
    if what == "nan":
        a = np.ones((7, 4), np.float32)
        a[3, 1] = np.nan
        np.save(feat / "rgb" / "v2.npy", a)
        return "v2.npy", ValueError, "NaN"
    if what == "label":
        gt = json.loads((root / "gt.json").read_text())
        gt["database"]["v2"]["annotations"][0]["label"] = "Delta"
        (root / "gt.json").write_text(json.dumps(gt))
        return "gt.json", ValueError, "'Delta' is not in the class list"
    if what == "not_in_gt":
        (root / "split_train.txt").write_text("v1\nv2\nv3\nv9\n")
        return "gt.json", ValueError, "'v9'"
    if what == "pickle":
        np.save(feat / "rgb" / "v2.npy", np.array([None] * 7, dtype=object), allow_pickle=True)
        return "v2.npy", ValueError, "pickled"
    raise AssertionError(what)


BAD = ["missing_flow", "length", "dim", "ndim", "empty", "label", "not_in_gt", "pickle"]


@pytest.mark.parametrize("what", BAD + ["nan"])
def test_bad_input_raises_naming_the_file(tmp_path, what):
    root = tmp_path / "d"
    write_basnet(root, default_videos())
    fname, exc, msg = _break(root, what)
    with pytest.raises(exc) as info:
        ds = WTALFeatures(root, split="train")
        [ds[i] for i in range(len(ds))]  # NaN is only seen when the data are read
    assert fname in str(info.value) and msg in str(info.value)


@pytest.mark.parametrize("what", BAD + ["nan"])
def test_bad_input_skipped_with_warning(tmp_path, what):
    root = tmp_path / "d"
    write_basnet(root, default_videos())
    _break(root, what)
    with pytest.warns(UserWarning, match=r"left out 1 video"):
        ds = WTALFeatures(root, split="train", on_error="skip")
    bad = "v9" if what == "not_in_gt" else "v2"
    assert bad not in ds.video_names and len(ds) == 3 - (what != "not_in_gt")
    assert list(ds.skipped) == [bad] and len(ds.skipped) == 1
    assert bad not in ds.ground_truth["database"]
    [ds[i] for i in range(len(ds))]


@pytest.mark.parametrize("content,msg", [
    ("{not json", "not valid JSON"),
    ('{"videos": {}}', "'database'"),
    ('{"database": {"v1": {"annotations": [{"segment": [1.0], "label": "Alpha"}]}}}', "segment"),
    ('{"database": {"v1": {"annotations": [{"segment": [2.0, 1.0], "label": "Alpha"}]}}}', "before its start"),
    ('{"database": {"v1": {"annotations": [{"segment": ["a", 1.0], "label": "Alpha"}]}}}', "not a number"),
    ('{"database": {"v1": {"annotations": [{"segment": [0, 1.0]}]}}}', "'label'"),
    ('{"database": {"v1": {"duration": -3, "annotations": []}}}', "duration"),
])
def test_malformed_gt_json(tmp_path, content, msg):
    root = tmp_path / "d"
    write_basnet(root, default_videos())
    (root / "gt.json").write_text(content)
    with pytest.raises(ValueError, match=msg) as info:
        WTALFeatures(root, split="train", on_error="skip")  # a broken file is never skipped
    assert "gt.json" in str(info.value)


def test_min_snippets_and_all_zero(tmp_path):
    root = tmp_path / "d"
    write_basnet(root, default_videos())
    feat = root / "features" / "train"
    for s in ("rgb", "flow"):
        np.save(feat / s / "v3.npy", np.zeros((12, 4), np.float32))
    with pytest.warns(UserWarning, match="left out 1"):
        ds = WTALFeatures(root, split="train", min_snippets=8)
    assert ds.video_names == ["v1", "v3"] and "min_snippets" in ds.skipped["v2"]
    with pytest.warns(UserWarning, match="left out 1"):
        ds = WTALFeatures(root, split="train", drop_all_zero=True)
    assert ds.video_names == ["v1", "v2"] and "all-zero" in ds.skipped["v3"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(WTALFeatures(root, split="train")) == 3  # all-zero is valid data by default


def test_options_are_checked(basnet_root):
    root, _ = basnet_root
    for kwargs in (dict(split="val"), dict(modality="audio"), dict(on_error="ignore"), dict(validate="some")):
        with pytest.raises(ValueError):
            WTALFeatures(root, **kwargs)
    with pytest.raises(FileNotFoundError):
        WTALFeatures(root / "nope")


def test_class_names_explicit_and_file(basnet_root, tmp_path):
    root, _ = basnet_root
    (root / "classes.txt").unlink()
    ds = WTALFeatures(root, split="train")
    assert ds.class_names == ["Alpha", "Beta", "Gamma"]  # sorted labels of gt.json
    f = tmp_path / "cls.txt"
    f.write_text("Gamma\nBeta\nAlpha\nDelta\n")
    ds = WTALFeatures(root, split="train", class_names=f)
    assert ds.num_classes == 4 and ds[0].y.tolist() == [[0, 0, 1, 0]]


def test_transform_applied(basnet_root):
    from tal_pyg.transforms import UniformSampling

    root, _ = basnet_root
    ds = WTALFeatures(root, split="train", transform=UniformSampling(5))
    d = ds[0]
    assert d.x.shape == (5, 8) and d.num_snippets == 10 and d.snippet_seconds == pytest.approx(0.64 * 10 / 5)


def test_slicing_keeps_names_and_ground_truth_consistent(basnet_root):
    root, _ = basnet_root
    ds = WTALFeatures(root, split="train")
    sub = ds[1:]
    assert len(sub) == 2 and sub.video_names == ["v2", "v3"] and sub[0].video_name == "v2"
    assert sorted(sub.ground_truth["database"]) == ["v2", "v3"] and sub.index_of("v3") == 1
    assert ds.index_of("v3") == 2 and ds.annotation("v2").duration == 4.6


def test_memory_cache_returns_private_copies_within_budget(basnet_root, monkeypatch):
    root, _ = basnet_root
    plain = WTALFeatures(root, split="train")
    one = plain[0].x.numel() * 4
    ds = WTALFeatures(root, split="train", cache_bytes=one)  # room for exactly one video
    first, expected = ds[0].x, plain[0].x
    assert torch.equal(first, expected)
    first.add_(1.0)  # a caller's in-place change never reaches the cache
    assert torch.equal(ds[0].x, expected)
    assert list(ds._cache) == [0] and ds._cached_bytes == one
    ds[1]
    assert list(ds._cache) == [0]  # over budget: video 1 is read, not kept

    reads = []
    import tal_pyg.datasets.layouts.base as base
    monkeypatch.setattr(base, "load_npy", lambda *a, **k: reads.append(a) or np.zeros(0))
    assert torch.equal(ds[0].x, expected) and not reads  # served from memory
    assert torch.equal(ds[[0, 1]][0].x, expected) and not reads  # a view shares its parent's cache
    with pytest.raises(ValueError, match="cache_bytes"):
        WTALFeatures(root, split="train", cache_bytes=-1)
