import json

import numpy as np
import pytest

from tal_pyg.datasets import ActivityNet12, Thumos14
from tal_pyg.datasets.metadata import class_names, metadata_path


def _write_features(root, split, names, T=3, d=2, special=None):
    for s in ("rgb", "flow"):
        folder = root / "features" / split / s
        folder.mkdir(parents=True, exist_ok=True)
        for n in names:
            arr = (special or {}).get(n, np.full((T, d), 0.5, np.float32))
            np.save(folder / f"{n}.npy", arr)


@pytest.fixture(scope="module")
def thumos_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("thumos")
    test212 = metadata_path("thumos14", "split_test_212.txt").read_text().split()
    train = metadata_path("thumos14", "split_train.txt").read_text().split()
    _write_features(root, "train", train)
    _write_features(root, "test", test212)
    return root


def test_thumos14_test_sets(thumos_root):
    t210 = Thumos14(thumos_root, split="test")
    t212 = Thumos14(thumos_root, split="test", test_set="212")
    assert len(t210) == 210 and len(t212) == 212 and t210.num_classes == 20
    for v in ("video_test_0000270", "video_test_0001496"):
        assert v not in t210.video_names and v in t212.video_names
    assert "video_test_0001292" not in t212.video_names
    # 99 ambiguous segments in 37 videos: 3 in 1292 (always absent), 9 in 1496
    assert sum(len(s) for s in t212.ambiguous.values()) == 96
    assert sum(len(s) for s in t210.ambiguous.values()) == 87
    assert t210.ambiguous["video_test_0000278"][0] == (0.0, 1.4)
    # 270's segments run up to 713.7 s in a 176 s video: clipped in gt_segments only
    d = t212[t212.index_of("video_test_0000270")]
    assert d.duration == pytest.approx(176.2, abs=0.1) and float(d.gt_segments.max()) <= d.duration + 1e-4
    assert (d.gt_segments[:, 1] > d.gt_segments[:, 0]).all()  # segments starting after the end are dropped
    raw = t212.ground_truth["database"]["video_test_0000270"]["annotations"]
    assert max(a["segment"][1] for a in raw) > 700
    assert sum(len(e["annotations"]) for e in t210.ground_truth["database"].values()) == 3311


def test_thumos14_train_and_weak_labels(thumos_root):
    tr = Thumos14(thumos_root, split="train")
    assert len(tr) == 200 and tr.class_names[10] == "HammerThrow"
    assert sum(len(e["annotations"]) for e in tr.ground_truth["database"].values()) == 3007
    inst = np.stack([tr[k].y[0].numpy() for k in range(len(tr))])
    la = Thumos14(thumos_root, split="train", weak_labels="labels_all")
    alls = np.stack([la[k].y[0].numpy() for k in range(len(la))])
    assert (inst.sum(1) >= 1).all() and 0 < (inst != alls).any(1).sum() <= 28
    assert (inst.sum(1) > 1).sum() == 27


def test_thumos14_dgam_names(tmp_path):
    root = tmp_path / "dgam"
    for i in range(1, 201):
        for s in ("rgb", "flow"):
            (root / "train_data" / f"{s}_features").mkdir(parents=True, exist_ok=True)
            np.save(root / "train_data" / f"{s}_features" / f"{i}.npy", np.zeros((2, 2), np.float32))
    ds = Thumos14(root, split="train")
    order = metadata_path("thumos14", "dgam_train_vid_list.txt").read_text().split()
    assert ds.layout == "dgam" and ds.video_names == order
    # STPN order: grouped by the class of the first video label
    first = [int(np.flatnonzero(ds[k].y[0].numpy())[0]) for k in range(0, 200, 20)]
    assert first == sorted(first)


def test_activitynet12_quirks(tmp_path):
    root = tmp_path / "anet"
    train = metadata_path("activitynet12", "split_train.txt").read_text().split()[:4]
    special = {train[1]: np.zeros((0, 2), np.float32), train[2]: np.zeros((5, 2), np.float32)}
    _write_features(root, "train", train, special=special)
    (root / "split_train.txt").write_text("\n".join(train) + "\n")
    with pytest.warns(UserWarning, match="left out 1"):
        ds = ActivityNet12(root, split="train")
    assert ds.num_classes == 100 and len(ds) == 3 and train[1] in ds.skipped
    with pytest.warns(UserWarning, match="left out 2"):
        ds = ActivityNet12(root, split="train", drop_all_zero=True)
    assert ds.video_names == [train[0], train[3]]
    gt = json.loads(metadata_path("activitynet12", "gt.json").read_text())["database"]
    d = ds[0]
    assert d.duration == pytest.approx(gt[train[0]]["duration"])
    assert d.y.sum() == 1 and ds.class_names[int(d.y.argmax())] == gt[train[0]]["annotations"][0]["label"]


def test_packaged_metadata_counts():
    assert len(class_names("thumos14")) == 20 and len(class_names("activitynet12")) == 100
    assert class_names("activitynet12")[45] == "Plataform diving"
    gt = json.loads(metadata_path("thumos14", "gt.json").read_text())["database"]
    assert len(gt) == 412 and sum(e["subset"] == "train" for e in gt.values()) == 200
    anet = json.loads(metadata_path("activitynet12", "gt.json").read_text())["database"]
    assert sum(e["subset"] == "train" for e in anet.values()) == 4819
    assert sum(e["subset"] == "test" for e in anet.values()) == 2383


def test_thumos14_wtalc_layout(tmp_path):
    gt = json.loads(metadata_path("thumos14", "gt.json").read_text())["database"]
    names = sorted(v for v in gt if gt[v]["subset"] == "train") + sorted(v for v in gt if gt[v]["subset"] == "test")
    ann = tmp_path / "Thumos14reduced-Annotations"
    ann.mkdir()

    def obj(items):
        out = np.empty(len(items), dtype=object)
        for i, it in enumerate(items):
            out[i] = it
        return out

    feats = obj([np.full((3, 4), i, np.float32) for i in range(len(names))])
    np.save(tmp_path / "Thumos14reduced-I3D-JOINTFeatures.npy", feats, allow_pickle=True)
    np.save(ann / "videoname.npy", np.array([n.encode() for n in names]))
    np.save(ann / "subset.npy", np.array([b"validation" if gt[n]["subset"] == "train" else b"test" for n in names]))
    np.save(ann / "classlist.npy", np.array([c.encode() for c in class_names("thumos14")]))
    np.save(ann / "duration.npy", np.array([[gt[n]["duration"]] for n in names]))
    np.save(ann / "segments.npy", obj([[a["segment"] for a in gt[n]["annotations"]] for n in names]), allow_pickle=True)
    np.save(ann / "labels.npy", obj([[a["label"] for a in gt[n]["annotations"]] for n in names]), allow_pickle=True)
    np.save(ann / "labels_all.npy", obj([sorted({a["label"] for a in gt[n]["annotations"]}) for n in names]),
            allow_pickle=True)
    with pytest.raises(ValueError, match="trust_pickle"):
        Thumos14(tmp_path, split="test")
    te = Thumos14(tmp_path, split="test", trust_pickle=True)
    assert te.layout == "wtalc" and len(te) == 210 and len(Thumos14(tmp_path, "train", trust_pickle=True)) == 200
    k = te.index_of("video_test_0000004")
    assert float(te[k].x[0, 0]) == names.index("video_test_0000004")
