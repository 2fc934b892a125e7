import numpy as np
import pytest
from tests._reference.postprocess import iou_ref, nms_ref, soft_nms_ref

from tal_pyg.postprocess import class_nms, soft_nms


def _random_proposals(rng, n=80, classes=3):
    s = rng.uniform(0, 50, n)
    e = s + rng.uniform(0.3, 10, n)
    return np.column_stack([rng.integers(0, classes, n), rng.normal(size=n), s, e])


@pytest.mark.parametrize("offset", [0.0, 1.0])
@pytest.mark.parametrize("thr", [0.3, 0.5, 0.7])
def test_class_nms_matches_list_reference(thr, offset):
    rng = np.random.default_rng(int(thr * 10 + offset))
    p = _random_proposals(rng)
    got = class_nms(p, thr, length_offset=offset)
    exp = nms_ref(p.tolist(), thr, offset)
    np.testing.assert_allclose(got, exp)
    for c in np.unique(got[:, 0]):
        k = got[got[:, 0] == c]
        for i in range(len(k)):
            for j in range(i + 1, len(k)):
                assert iou_ref(k[i, 2:], k[j, 2:], offset) < thr


def test_class_nms_hand_example_and_classes_independent():
    p = np.array([
        [0, 0.9, 0.0, 10.0],
        [0, 0.8, 1.0, 10.0],   # IoU 0.9 with the first: suppressed at 0.7
        [0, 0.7, 20.0, 25.0],
        [1, 0.5, 0.0, 10.0],   # other class: kept
    ])
    got = class_nms(p, 0.7)
    np.testing.assert_array_equal(got, p[[0, 2, 3]])
    assert class_nms(np.zeros((0, 4)), 0.5).shape == (0, 4)


def test_soft_nms_matches_reference_and_keeps_everything():
    rng = np.random.default_rng(5)
    p = _random_proposals(rng, n=40)
    got = soft_nms(p, sigma=0.5)
    assert got.shape == p.shape
    np.testing.assert_allclose(got, soft_nms_ref(p.tolist(), 0.5), atol=1e-12)
    # the top proposal of every class keeps its score; nothing gains score
    for c in np.unique(p[:, 0]):
        assert got[got[:, 0] == c][0, 1] == p[p[:, 0] == c][:, 1].max()
    assert np.sort(got[:, 1]).sum() <= np.sort(p[:, 1]).sum() + 1e-12


def test_soft_nms_hand_example():
    p = np.array([[0, 1.0, 0.0, 10.0], [0, 0.8, 0.0, 5.0]])  # IoU 0.5
    got = soft_nms(p, sigma=0.5)
    assert got[1, 1] == pytest.approx(0.8 * np.exp(-0.25 / 0.5))
    assert soft_nms(p, sigma=0.5, score_threshold=0.6).shape[0] == 1
    lin = soft_nms(p, method="linear", iou_threshold=0.3)
    assert lin[1, 1] == pytest.approx(0.8 * 0.5)


def test_bad_input():
    with pytest.raises(ValueError, match=r"\[P, 4\]"):
        class_nms(np.zeros((3, 3)), 0.5)
    with pytest.raises(ValueError, match="method"):
        soft_nms(np.zeros((1, 4)), method="x")
