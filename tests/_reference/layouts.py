"""Writers of tiny datasets in the public layouts (hand-made, independent of the generator)."""
import json
from pathlib import Path

import numpy as np

CLASSES = ["Alpha", "Beta", "Gamma"]


def write_basnet(root: Path, videos: dict, classes=CLASSES, split_lists=True, d_stream=4, seed=0):
    """``videos = {name: dict(split=, T=, labels=[(s, e, label)], duration=)}``; returns the feature arrays."""
    rng = np.random.default_rng(seed)
    db, feats = {}, {}
    for name, v in videos.items():
        split = v["split"]
        T = v["T"]
        rgb = rng.random((T, d_stream)).astype(np.float32)
        flow = rng.random((T, d_stream)).astype(np.float32) + 10.0
        for stream, arr in (("rgb", rgb), ("flow", flow)):
            folder = root / "features" / split / stream
            folder.mkdir(parents=True, exist_ok=True)
            np.save(folder / f"{name}.npy", arr)
        feats[name] = (rgb, flow)
        entry = {"subset": split, "annotations": [{"segment": [str(s), str(e)], "label": lab}
                                                   for s, e, lab in v.get("labels", [])]}
        if v.get("duration") is not None:
            entry["duration"] = v["duration"]
        db[name] = entry
    (root / "gt.json").write_text(json.dumps({"database": db}))
    if split_lists:
        for split in ("train", "test"):
            names = sorted(n for n, v in videos.items() if v["split"] == split)
            (root / f"split_{split}.txt").write_text("\n".join(names) + "\n")
    if classes is not None:
        (root / "classes.txt").write_text("\n".join(classes) + "\n")
    return feats


def default_videos():
    return {
        "v1": dict(split="train", T=10, labels=[(0.5, 2.0, "Alpha")], duration=6.5),
        "v2": dict(split="train", T=7, labels=[(1.0, 2.0, "Beta"), (3.0, 9.9, "Gamma")], duration=4.6),
        "v3": dict(split="train", T=12, labels=[(0.0, 1.5, "Beta")], duration=None),
        "t1": dict(split="test", T=9, labels=[(0.3, 1.1, "Gamma"), (2.0, 2.5, "Ambiguous")], duration=6.0),
        "t2": dict(split="test", T=5, labels=[(1.0, 2.0, "Alpha")], duration=3.3),
    }


def write_wtalc(root: Path, name="Toy", d=6, seed=0, lengths=(5, 4, 6, 3), empty=()):
    """A tiny W-TALC-layout folder: 2 'validation' (train) + 2 'test' videos; returns the feature arrays."""
    rng = np.random.default_rng(seed)
    ann = root / f"{name}-Annotations"
    ann.mkdir(parents=True, exist_ok=True)
    names = [f"video_validation_{i}" for i in range(2)] + [f"video_test_{i}" for i in range(2)]
    feats = []
    for i, T in enumerate(lengths):
        feats.append(np.zeros((0, d), np.float32) if i in empty else rng.random((T, d)).astype(np.float32))
    obj = np.empty(len(feats), dtype=object)
    for i, f in enumerate(feats):
        obj[i] = f
    np.save(root / f"{name}-I3D-JOINTFeatures.npy", obj, allow_pickle=True)
    np.save(ann / "videoname.npy", np.array([n.encode() for n in names]))
    np.save(ann / "subset.npy", np.array([b"validation", b"validation", b"test", b"test"]))
    np.save(ann / "classlist.npy", np.array([c.encode() for c in CLASSES]))
    np.save(ann / "duration.npy", np.array([[3.3], [2.9], [4.0], [2.0]]))

    def objarr(items):
        out = np.empty(len(items), dtype=object)
        for i, it in enumerate(items):
            out[i] = it
        return out

    segs = [[[0.1, 1.0]], [[0.5, 1.5], [2.0, 9.0]], [[1.0, 2.0]], [[0.0, 0.6]]]
    labs = [["Alpha"], ["Beta", "Beta"], ["Gamma"], ["Alpha"]]
    labs_all = [["Alpha"], ["Beta", "Gamma"], ["Gamma"], ["Alpha"]]
    np.save(ann / "segments.npy", objarr(segs), allow_pickle=True)
    np.save(ann / "labels.npy", objarr(labs), allow_pickle=True)
    np.save(ann / "labels_all.npy", objarr(labs_all), allow_pickle=True)
    (ann / "Ambiguous_test.txt").write_text("video_test_0  3.0 3.5\n")
    return names, feats


def write_dgam(root: Path, d=4, seed=0):
    """A tiny DGAM-layout folder: 3 train videos (no names), 2 test videos with a list and gt.json."""
    rng = np.random.default_rng(seed)
    feats = {}
    for split, lengths in (("train", (5, 6, 4)), ("test", (7, 3))):
        folder = root / f"{split}_data"
        for i, T in enumerate(lengths, start=1):
            rgb, flow = rng.random((T, d)).astype(np.float32), rng.random((T, d)).astype(np.float32)
            for s, a in (("rgb", rgb), ("flow", flow)):
                (folder / f"{s}_features").mkdir(parents=True, exist_ok=True)
                np.save(folder / f"{s}_features" / f"{i}.npy", a)
            feats[(split, i)] = (rgb, flow)
    np.save(root / "train_data" / "train_labels.npy", np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1]], np.float64))
    np.save(root / "test_data" / "test_labels.npy", np.array([[0, 1, 0], [1, 0, 0]], np.float64))
    (root / "test_data" / "TOY_test_vid_list.txt").write_text("tb\nta\n")
    (root / "test_data" / "gt.json").write_text(json.dumps({"database": {
        "ta": {"subset": "test", "annotations": [{"segment": ["0.2", "1.0"], "label": "Alpha"}]},
        "tb": {"subset": "test", "annotations": [{"segment": ["1.0", "2.0"], "label": "Beta"}]}}}))
    return feats
