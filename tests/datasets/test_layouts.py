
import numpy as np
import pytest
import torch

from tal_pyg.datasets import WTALFeatures, convert_wtalc_to_basnet, detect_layout
from tests._reference.layouts import CLASSES, write_dgam, write_wtalc


def test_wtalc_needs_trust_pickle(tmp_path):
    write_wtalc(tmp_path)
    assert detect_layout(tmp_path) == "wtalc"
    with pytest.raises(ValueError, match=r"Toy-I3D-JOINTFeatures\.npy.*trust_pickle"):
        WTALFeatures(tmp_path, split="train")


def test_wtalc_reads_with_trust(tmp_path):
    names, feats = write_wtalc(tmp_path)
    tr = WTALFeatures(tmp_path, split="train", trust_pickle=True)
    te = WTALFeatures(tmp_path, split="test", trust_pickle=True)
    assert tr.layout == "wtalc" and tr.video_names == names[:2] and te.video_names == names[2:]
    assert tr.class_names == CLASSES
    d = tr[1]
    assert torch.equal(d.x, torch.from_numpy(feats[1])) and d.duration == pytest.approx(2.9)
    assert d.y.tolist() == [[0, 1, 1]]  # W-TALC labels_all by default
    inst = WTALFeatures(tmp_path, split="train", trust_pickle=True, layout_kwargs={"weak_labels": "instances"})
    assert inst[1].y.tolist() == [[0, 1, 0]]
    rgb = WTALFeatures(tmp_path, split="train", trust_pickle=True, modality="rgb")[0]
    assert torch.equal(rgb.x, torch.from_numpy(feats[0][:, :3]))
    assert te.ambiguous == {"video_test_0": [(3.0, 3.5)]}


def test_wtalc_empty_element(tmp_path):
    write_wtalc(tmp_path, empty=(1,))
    with pytest.raises(ValueError, match=r"\[1\] \(video_validation_1\).*empty"):
        WTALFeatures(tmp_path, split="train", trust_pickle=True)
    with pytest.warns(UserWarning, match="left out 1"):
        ds = WTALFeatures(tmp_path, split="train", trust_pickle=True, min_snippets=1)
    assert ds.video_names == ["video_validation_0"]


def test_convert_wtalc_to_basnet(tmp_path):
    names, feats = write_wtalc(tmp_path / "w")
    with pytest.raises(ValueError, match="trust_pickle"):
        convert_wtalc_to_basnet(tmp_path / "w", tmp_path / "out")
    out = convert_wtalc_to_basnet(tmp_path / "w", tmp_path / "out", trust_pickle=True)
    assert detect_layout(out) == "basnet" and not any(out.parent.glob(".out.*"))
    for split in ("train", "test"):
        a = WTALFeatures(tmp_path / "w", split=split, trust_pickle=True)
        b = WTALFeatures(out, split=split)  # no pickle needed any more
        assert a.video_names == b.video_names and a.class_names == b.class_names
        assert a.ground_truth == b.ground_truth and a.ambiguous == b.ambiguous
        for k in range(len(a)):
            assert torch.equal(a[k].x, b[k].x) and torch.equal(a[k].y, b[k].y)
    rgb = np.load(out / "features" / "train" / "rgb" / "video_validation_0.npy")
    assert rgb.dtype == np.float32 and np.array_equal(rgb, feats[0][:, :3])
    with pytest.raises(ValueError, match="not empty"):
        convert_wtalc_to_basnet(tmp_path / "w", out, trust_pickle=True)


def test_dgam_layout(tmp_path):
    feats = write_dgam(tmp_path)
    assert detect_layout(tmp_path) == "dgam"
    with pytest.raises(ValueError, match="class_names"):
        WTALFeatures(tmp_path, split="train")
    tr = WTALFeatures(tmp_path, split="train", class_names=CLASSES)
    assert tr.video_names == ["train_1", "train_2", "train_3"]
    assert [tr[k].y.tolist() for k in range(3)] == [[[1, 0, 0]], [[0, 1, 1]], [[0, 0, 1]]]
    assert torch.equal(tr[1].x, torch.from_numpy(np.concatenate(feats[("train", 2)], axis=1)))
    assert tr[0].duration == pytest.approx(5 * 0.64)
    te = WTALFeatures(tmp_path, split="test", class_names=CLASSES)
    assert te.video_names == ["tb", "ta"]  # line i <-> i.npy
    assert torch.equal(te[1].x, torch.from_numpy(np.concatenate(feats[("test", 2)], axis=1)))
    assert te.ground_truth["database"]["ta"]["annotations"] == [{"segment": [0.2, 1.0], "label": "Alpha"}]
    named = WTALFeatures(tmp_path, split="train", class_names=CLASSES, names=["x", "y", "z"])
    assert named.video_names == ["x", "y", "z"]
    (tmp_path / "train_data" / "flow_features" / "3.npy").unlink()
    with pytest.raises(FileNotFoundError, match=r"flow_features/3\.npy"):
        WTALFeatures(tmp_path, split="train", class_names=CLASSES)


def test_the_earlier_name_of_layout_video_still_imports_with_a_warning():
    import tal_pyg.datasets.layouts as layouts

    with pytest.warns(FutureWarning, match="use LayoutVideo"):
        assert layouts.VideoRecord is layouts.LayoutVideo
    with pytest.raises(AttributeError):
        layouts.NoSuchThing  # noqa: B018
