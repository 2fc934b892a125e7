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
