"""Build the packaged dataset metadata (class lists, ground truth, split lists) from public annotation files.

Usage::

    python datasets/build_metadata.py SHARED_DATA_DIR

``SHARED_DATA_DIR`` holds ``thumos14/Thumos14reduced-Annotations`` (W-TALC, MIT),
``thumos14/basnet_THUMOS14`` (BaS-Net, MIT), ``activitynet12/ActivityNet1.2-Annotations``
(3C-Net copy of the ActivityNet v1.2 annotations) and ``stats.json``. Writes
``tal_pyg/datasets/metadata/{thumos14,activitynet12}/`` and the same files into
``datasets/{thumos14,activitynet12}/`` (next to their README). Output is deterministic.
The pickled annotation arrays are read with ``allow_pickle=True``: run this only on the
trusted files listed in ``datasets/*/README.md``.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PKG_META = REPO / "tal_pyg" / "datasets" / "metadata"


def _s(a):
    return [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in a.tolist()]


def _load(folder: Path, name: str):
    return np.load(folder / f"{name}.npy", allow_pickle=True, encoding="latin1")


def _wtalc_annotations(folder: Path) -> dict:
    """The per-video arrays of a W-TALC annotation folder that both datasets use."""
    return {"names": _s(_load(folder, "videoname")), "subset": _s(_load(folder, "subset")),
            "classes": _s(_load(folder, "classlist")), "duration": _load(folder, "duration").reshape(-1),
            "segments": _load(folder, "segments"), "labels": _load(folder, "labels")}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _gt_json(db: dict) -> str:
    # one video per line: small and diff-friendly
    lines = [json.dumps(k) + ": " + json.dumps(v, sort_keys=True) for k, v in sorted(db.items())]
    return '{"database": {\n' + ",\n".join(lines) + "\n}}\n"


def build_thumos(data: Path, out: Path) -> None:
    ann = data / "thumos14" / "Thumos14reduced-Annotations"
    bas = data / "thumos14" / "basnet_THUMOS14"
    w = _wtalc_annotations(ann)
    names, subset, classes, dur, segs, labs = (w[k] for k in ("names", "subset", "classes", "duration",
                                                              "segments", "labels"))
    labels_all = _load(ann, "labels_all")
    basnet = json.loads((bas / "gt.json").read_text())["database"]
    db, la = {}, {}
    for i, v in enumerate(names):
        sub = "train" if subset[i] == "validation" else "test"
        anns = [{"label": str(lab), "segment": [round(float(s), 4), round(float(e), 4)]}
                for (s, e), lab in zip(segs[i], labs[i])]
        if v in basnet:  # consistency check with BaS-Net's gt.json
            ref = [[float(a["segment"][0]), float(a["segment"][1]), a["label"]] for a in basnet[v]["annotations"]]
            mine = [[a["segment"][0], a["segment"][1], a["label"]] for a in anns]
            assert sorted(ref) == sorted(mine), v
        db[v] = {"subset": sub, "duration": round(float(dur[i]), 4), "annotations": anns}
        la[v] = [str(x) for x in labels_all[i]]
    split_train = (bas / "split_train.txt").read_text().split()
    split_test = (bas / "split_test.txt").read_text().split()
    test212 = sorted(v for v, e in db.items() if e["subset"] == "test")
    assert len(split_train) == 200 and len(split_test) == 210 and len(test212) == 212
    assert set(split_test) == set(test212) - {"video_test_0000270", "video_test_0001496"}
    # DGAM/STPN training order: sorted by (class index of labels_all[0], name), the order of the released lists
    dgam_train = sorted(split_train, key=lambda v: (classes.index(la[v][0]), v))
    _write(out / "classes.txt", "\n".join(classes) + "\n")
    _write(out / "gt.json", _gt_json(db))
    _write(out / "split_train.txt", "\n".join(split_train) + "\n")
    _write(out / "split_test.txt", "\n".join(split_test) + "\n")
    _write(out / "split_test_212.txt", "\n".join(test212) + "\n")
    _write(out / "labels_all.json", json.dumps(la, sort_keys=True, indent=0) + "\n")
    _write(out / "dgam_train_vid_list.txt", "\n".join(dgam_train) + "\n")
    _write(out / "dgam_test_vid_list.txt", "\n".join(split_test) + "\n")
    amb = (ann / "Ambiguous_test.txt").read_text().replace("\r\n", "\n")
    _write(out / "Ambiguous_test.txt", amb)


def build_anet(data: Path, out: Path) -> None:
    ann = data / "activitynet12" / "ActivityNet1.2-Annotations"
    w = _wtalc_annotations(ann)
    names, subset, classes, dur, segs, labs = (w[k] for k in ("names", "subset", "classes", "duration",
                                                              "segments", "labels"))
    youtube_ids = [u[-11:] for u in _s(_load(ann, "url"))]
    db, name_map = {}, []
    for i, v in enumerate(names):
        yt = youtube_ids[i]
        sub = {"training": "train", "validation": "test"}[subset[i]]
        anns = [{"label": str(lab), "segment": [round(float(s), 5), round(float(e), 5)]}
                for (s, e), lab in zip(segs[i], labs[i])]
        assert yt not in db
        db[yt] = {"subset": sub, "duration": round(float(dur[i]), 5), "annotations": anns}
        name_map.append(f"{v}\t{yt}")
    train = sorted(k for k, e in db.items() if e["subset"] == "train")
    test = sorted(k for k, e in db.items() if e["subset"] == "test")
    assert len(train) == 4819 and len(test) == 2383
    # DGAM order: file i <-> i-th validation/training video in the W-TALC order
    dgam_train = [yt for yt in youtube_ids if db[yt]["subset"] == "train"]
    dgam_test = [yt for yt in youtube_ids if db[yt]["subset"] == "test"]
    _write(out / "classes.txt", "\n".join(classes) + "\n")
    _write(out / "gt.json", _gt_json(db))
    _write(out / "split_train.txt", "\n".join(train) + "\n")
    _write(out / "split_test.txt", "\n".join(test) + "\n")
    _write(out / "wtalc_names.tsv", "# W-TALC name<TAB>YouTube id, in W-TALC file order\n" + "\n".join(name_map) + "\n")
    _write(out / "dgam_train_vid_list.txt", "\n".join(dgam_train) + "\n")
    _write(out / "dgam_test_vid_list.txt", "\n".join(dgam_test) + "\n")


def build_stats(data: Path, out: Path) -> None:
    """The subset of stats.json the synthetic generator needs (quantiles of the real structure)."""
    st = json.loads((data / "stats.json").read_text())
    keys = ("feature_len_T", "instances_per_video", "instance_duration_snippets", "instance_rel_length",
            "coverage_per_video", "gap_between_merged_instances_s", "classes_per_video_hist")
    t = st["thumos14"]["THUMOS'14 validation (= WTAL train)"]
    a = st["activitynet12"]["ActivityNet1.2 training (= WTAL train)"]
    res = {
        "source": "computed from the public annotation files (see datasets/*/README.md); WTAL train split",
        "thumos14": {k: t[k] for k in keys},
        "thumos14_per_class": {c: {"videos": v["videos"], "mean_dur_s": v["mean_dur"]}
                               for c, v in st["thumos14_per_class"]["train"].items()},
        "activitynet12": {k: a[k] for k in keys},
        "activitynet12_per_class": {c: {"videos": v["videos"], "mean_dur_s": v["mean_dur"]}
                                    for c, v in st["activitynet12_per_class"]["training"].items()},
    }
    _write(out / "structure_stats.json", json.dumps(res, sort_keys=True, indent=1) + "\n")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    data = Path(argv[0] if argv else "/work/shared/data")
    build_thumos(data, PKG_META / "thumos14")
    build_anet(data, PKG_META / "activitynet12")
    build_stats(data, PKG_META)
    for name in ("thumos14", "activitynet12"):
        for f in sorted((PKG_META / name).iterdir()):
            shutil.copyfile(f, REPO / "datasets" / name / f.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
