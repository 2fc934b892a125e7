import hashlib
import json

import numpy as np
import pytest
import torch

from tal_pyg.datasets import SYNTHETIC_PRESETS, SyntheticConfig, WTALFeatures, generate_synthetic
from tal_pyg.datasets.metadata import structure_stats
from tal_pyg.datasets.synthetic import build_structure

TINY = dict(num_train=6, num_test=4, feature_dim=24, max_snippets=48, min_snippets=16)


def digest(root):
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes(tmp_path):
    a = generate_synthetic("thumos-like-small", tmp_path / "a", seed=5, **TINY)
    b = generate_synthetic("thumos-like-small", tmp_path / "b", seed=5, **TINY)
    c = generate_synthetic("thumos-like-small", tmp_path / "c", seed=6, **TINY)
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)


def test_layout_and_readback(tiny_features):
    root = tiny_features
    for f in ("gt.json", "split_train.txt", "split_test.txt", "classes.txt", "synthetic.json"):
        assert (root / f).is_file()
    meta = json.loads((root / "synthetic.json").read_text())
    assert meta["seed"] == 0 and meta["config"]["feature_dim"] == 32
    tr, te = WTALFeatures(root, split="train"), WTALFeatures(root, split="test")
    assert tr.layout == "basnet" and len(tr) == 16 and len(te) == 8 and tr.num_classes == 20
    rgb = np.load(root / "features" / "train" / "rgb" / f"{tr.video_names[0]}.npy")
    assert rgb.dtype == np.float32 and rgb.shape[1] == 16
    for k in range(len(tr)):
        d = tr[k]
        assert d.x.shape[1] == 32 and 16 <= d.x.shape[0] <= 64
        assert (d.x >= 0).all() and torch.isfinite(d.x).all()
        assert d.y.sum() >= 1 and d.gt_segments.shape[0] >= 1
        assert int(np.floor(d.duration / 0.64)) == d.num_snippets  # T = floor(d * 25 / 16)
        assert (d.gt_segments[:, 1] <= d.duration + 1e-6).all()


def test_feature_model_properties(tmp_path):
    """Scene component => high within-video similarity; streams differ; action snippets differ from background."""
    root = generate_synthetic("thumos-like-small", tmp_path / "s", seed=1, num_train=12, num_test=0,
                              feature_dim=64, max_snippets=120)
    ds = WTALFeatures(root, split="train")
    within, across, act_bg_gap = [], [], []
    prev = None
    for k in range(len(ds)):
        d = ds[k]
        x = torch.nn.functional.normalize(d.x, dim=1)
        s = x @ x.T
        T = x.size(0)
        within.append((s.sum() - T) / (T * (T - 1)))
        if prev is not None:
            across.append((x @ prev.T).mean())
        prev = x
        centers = (torch.arange(T) + 0.5) * d.snippet_seconds
        act = torch.zeros(T, dtype=torch.bool)
        for (a, b) in d.gt_segments.tolist():
            act |= (centers >= a) & (centers < b)
        if act.any() and (~act).any():
            fl = d.x[:, 32:]
            act_bg_gap.append(fl[act].mean() - fl[~act].mean())  # more motion inside actions
    assert torch.stack(within).mean() > 0.6
    assert torch.stack(within).mean() > torch.stack(across).mean() + 0.05
    assert torch.stack(act_bg_gap).mean() > 0


def test_structure_follows_real_statistics():
    videos, classes = build_structure("thumos-like", seed=0)  # structure only: no features, fast
    st = structure_stats()["thumos14"]
    train = [v for v in videos if v.split == "train"]
    assert len(train) == 200 and len([v for v in videos if v.split == "test"]) == 210 and len(classes) == 20
    T = np.array([v.num_snippets for v in train])
    assert 0.7 < np.median(T) / st["feature_len_T"]["p50"] < 1.3
    k = np.array([len(v.segments) for v in train])
    assert 0.5 < np.median(k) / st["instances_per_video"]["p50"] < 2.0
    lens = np.array([(e - s) / 0.64 for v in train for s, e, _ in v.segments])
    assert 0.6 < np.median(lens) / st["instance_duration_snippets"]["p50"] < 1.5
    assert all(0 <= s <= e <= v.duration for v in train for s, e, _ in v.segments)
    assert 0.05 < np.mean([len(v.classes) > 1 for v in train]) < 0.35  # real: 27/200


def test_anet_like_structure():
    videos, classes = build_structure("anet-like", seed=0, num_train=200, num_test=10)
    assert len(classes) == 100 and classes[0] == "Archery"
    k = [len(v.segments) for v in videos]
    assert min(k) >= 1 and max(k) <= 2
    rel = [(e - s) / v.duration for v in videos for s, e, _ in v.segments]
    assert np.median(rel) > 0.15  # long instances


def test_real_gt_structure(tmp_path):
    videos, classes = build_structure("thumos-like", seed=0, structure="thumos14-gt")
    names = {v.name for v in videos}
    assert len(videos) == 410 and "video_test_0000270" not in names and len(classes) == 20
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps({"database": {
        "a": {"subset": "training", "duration": 20.0, "annotations": [{"segment": [1, 5], "label": "X"}]},
        "b": {"subset": "validation", "annotations": [{"segment": [2, 3], "label": "Y"}]}}}))
    root = generate_synthetic("thumos-like-small", tmp_path / "g", seed=0, structure=str(gt), feature_dim=8)
    tr, te = WTALFeatures(root, split="train"), WTALFeatures(root, split="test")
    assert tr.video_names == ["a"] and te.video_names == ["b"] and tr.class_names == ["X", "Y"]
    assert tr[0].num_snippets == 31 and tr.ground_truth["database"]["a"]["annotations"][0]["segment"] == [1.0, 5.0]


def test_presets_and_options(tmp_path):
    assert set(SYNTHETIC_PRESETS) >= {"thumos-like", "thumos-like-small", "anet-like"}
    assert SYNTHETIC_PRESETS["thumos-like"].feature_dim == 2048
    assert (SYNTHETIC_PRESETS["thumos-like"].num_train, SYNTHETIC_PRESETS["thumos-like"].num_test) == (200, 210)
    assert SYNTHETIC_PRESETS["anet-like"].num_classes == 100
    with pytest.raises(ValueError, match="unknown synthetic preset"):
        generate_synthetic("nope", tmp_path / "x")
    with pytest.raises(ValueError):
        SyntheticConfig(occlusion=(0.9, 0.1))
    with pytest.raises(ValueError, match="bad synthetic option"):
        generate_synthetic("thumos-like-small", tmp_path / "x", not_a_knob=1)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        generate_synthetic("thumos-like-small", tmp_path / "full", **TINY)
    # odd D: RGB gets D // 2 columns
    root = generate_synthetic("thumos-like-small", tmp_path / "odd", seed=0, **{**TINY, "feature_dim": 7})
    assert WTALFeatures(root, split="train", modality="rgb")[0].x.shape[1] == 3
    assert WTALFeatures(root, split="train")[0].x.shape[1] == 7
    # knobs for streams as dicts
    root = generate_synthetic("thumos-like-small", tmp_path / "k", seed=0, rgb={"noise": 0.0}, **TINY)
    assert json.loads((root / "synthetic.json").read_text())["config"]["rgb"]["noise"] == 0.0


@pytest.mark.parametrize("scope", ["snippet", "instance"])
def test_hardness_is_drawn_per_snippet_or_per_instance(scope):
    from tal_pyg.datasets.synthetic.features import snippet_hardness

    cfg = SyntheticConfig(difficulty_scope=scope, easy_fraction=0.3, occlusion=(0.2, 0.6))
    instance = np.repeat(np.arange(400), 5)  # 400 instances of 5 snippets
    easy, visible = snippet_hardness(cfg, instance, 64, np.random.default_rng(0))
    assert easy.shape == (2000,) and visible.shape == (2000, 64)
    assert visible[easy].all()  # an easy snippet is not occluded
    # the share of occluded dimensions follows (1 - easy_fraction) * E[r] = 0.7 * 0.4 in both scopes
    assert abs((~visible).mean() - 0.7 * 0.4) < 0.02
    assert abs(easy.mean() - 0.3) < 0.05
    v = visible.reshape(400, 5, 64)
    same_mask = (v == v[:, :1]).all(axis=(1, 2))  # every snippet of an instance occluded like its first
    if scope == "instance":
        assert same_mask.all() and (easy.reshape(400, 5) == easy.reshape(400, 5)[:, :1]).all()
    else:  # only the instances whose 5 snippets all happen to be easy
        assert same_mask.mean() < 0.05


def test_instance_hardness_changes_the_features_not_the_structure(tmp_path):
    a = generate_synthetic("thumos-like-small", tmp_path / "a", seed=3, **TINY)
    b = generate_synthetic("thumos-like-small", tmp_path / "b", seed=3, difficulty_scope="instance", **TINY)
    assert (a / "gt.json").read_text() == (b / "gt.json").read_text()
    assert json.loads((b / "synthetic.json").read_text())["config"]["difficulty_scope"] == "instance"
    ta, tb = WTALFeatures(a, split="train"), WTALFeatures(b, split="train")
    assert any(not torch.equal(ta[k].x, tb[k].x) for k in range(len(ta)))
    with pytest.raises(ValueError, match="difficulty_scope"):
        SyntheticConfig(difficulty_scope="video")
