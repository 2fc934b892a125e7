"""detection_map: hand-worked cases of the evaluation rules (docs/method.md#evaluation), properties,
and the loop reference on random inputs."""
from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import pytest

import tal_pyg.evaluation.detection as detection_module
from tal_pyg.evaluation import (
    TIOU_PRESETS,
    GroundTruth,
    Predictions,
    detection_map,
    interpolated_average_precision,
    load_ground_truth,
)
from tests._reference.detection import interpolated_ap, reference_detection_map

THUMOS_GT = Path(__file__).resolve().parents[3] / "shared/data/thumos14/basnet_THUMOS14/gt.json"
THUMOS_AMBIGUOUS = (
    Path(__file__).resolve().parents[3]
    / "shared/data/thumos14/Thumos14reduced-Annotations/Ambiguous_test.txt"
)


def gt_db(videos: dict, subset: str = "test") -> dict:
    """videos: {video: [(start, end, label), ...]} -> ActivityNet ground truth."""
    return {
        "database": {
            v: {"subset": subset, "annotations": [{"segment": [s, e], "label": lab} for s, e, lab in anns]}
            for v, anns in videos.items()
        }
    }


def results(preds: dict) -> dict:
    """preds: {video: [(start, end, label, score), ...]} -> ActivityNet results."""
    return {
        "results": {
            v: [{"segment": [s, e], "label": lab, "score": sc} for s, e, lab, sc in lst]
            for v, lst in preds.items()
        }
    }


def quiet_map(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return detection_map(*args, **kwargs)


# ---------------------------------------------------------------- hand-worked cases


def test_tiou_exactly_at_threshold_matches():
    gt = gt_db({"v": [(0.0, 10.0, "a")]})
    pred = results({"v": [(0.0, 5.0, "a", 0.9)]})  # tIoU = 5 / 10 = 0.5 exactly
    r = detection_map(gt, pred, [0.5, 0.55])
    np.testing.assert_array_equal(r.ap[0], [1.0, 0.0])


def test_duplicate_matches_a_second_instance():
    # A = [0, 10], B = [2, 12]; two copies of A: the second one takes B (tIoU 8/12) when it clears
    gt = gt_db({"v": [(0.0, 10.0, "a"), (2.0, 12.0, "a")]})
    pred = results({"v": [(0.0, 10.0, "a", 0.9), (0.0, 10.0, "a", 0.8)]})
    r = detection_map(gt, pred, [0.5, 0.7])
    # 0.5: TP, TP -> AP 1. 0.7: TP (recall 1/2, precision 1), FP -> AP 0.5
    np.testing.assert_allclose(r.ap[0], [1.0, 0.5], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(r.num_true_positives[0], [2, 1])


def test_best_tiou_instance_is_taken_first():
    # the prediction overlaps A (tIoU 0.6) and B (tIoU 0.8): it takes B; the next one, equal to B,
    # then finds B locked and A below the threshold -> FP
    gt = gt_db({"v": [(0.0, 10.0, "a"), (4.0, 14.0, "a")]})
    pred = results({"v": [(4.0, 12.0, "a", 0.9), (4.0, 14.0, "a", 0.8)]})
    r = detection_map(gt, pred, [0.7])
    # 1st: tIoU(A) = 6/14, tIoU(B) = 8/10 -> B. 2nd: B locked, A = 6/14 < 0.7 -> FP
    np.testing.assert_allclose(r.ap[0], [0.5], atol=1e-12)


def test_class_without_predictions_has_ap_zero():
    gt = gt_db({"v": [(0.0, 10.0, "a"), (20.0, 30.0, "b")]})
    pred = results({"v": [(0.0, 10.0, "a", 0.9)]})
    r = detection_map(gt, pred, [0.5])
    assert r.class_names == ("a", "b")
    np.testing.assert_array_equal(r.ap[:, 0], [1.0, 0.0])
    assert r.mAP[0] == 0.5


def test_predictions_on_unknown_and_other_subset_videos_are_false_positives():
    gt = gt_db({"v": [(0.0, 10.0, "a")]})
    gt["database"]["w"] = {"subset": "train", "annotations": [{"segment": [0, 10], "label": "a"}]}
    pred = results({"nowhere": [(0.0, 10.0, "a", 0.95)], "w": [(0.0, 10.0, "a", 0.9)],
                    "v": [(0.0, 10.0, "a", 0.8)]})
    with pytest.warns(UserWarning, match="2 prediction"):
        r = detection_map(gt, pred, [0.5], subset="test")
    # FP, FP, TP: precision 1/3 at recall 1
    np.testing.assert_allclose(r.ap[0], [1 / 3], atol=1e-12)
    assert r.num_predictions_outside == 2 and r.num_predictions == 3


def test_ties_keep_input_order():
    gt = gt_db({"v": [(0.0, 10.0, "a")]})
    fp_first = results({"v": [(50.0, 60.0, "a", 0.5), (0.0, 10.0, "a", 0.5)]})
    tp_first = results({"v": [(0.0, 10.0, "a", 0.5), (50.0, 60.0, "a", 0.5)]})
    assert detection_map(gt, fp_first, [0.5]).ap[0, 0] == pytest.approx(0.5, abs=1e-12)
    assert detection_map(gt, tp_first, [0.5]).ap[0, 0] == 1.0


def test_interpolated_ap_by_hand():
    # 3 instances; ranked TP, FP, TP, FP, TP
    # precision 1, 1/2, 2/3, 1/2, 3/5; envelope at the recall steps: 1, 2/3, 3/5
    gt = gt_db({"v": [(0, 10, "a"), (20, 30, "a"), (40, 50, "a")]})
    pred = results({"v": [(0, 10, "a", 0.9), (60, 70, "a", 0.8), (20, 30, "a", 0.7),
                          (80, 90, "a", 0.6), (40, 50, "a", 0.5)]})
    expected = (1 + 2 / 3 + 3 / 5) / 3
    assert detection_map(gt, pred, [0.5]).ap[0, 0] == pytest.approx(expected, abs=1e-12)
    assert interpolated_ap([1, 0.5, 2 / 3, 0.5, 0.6], [1 / 3, 1 / 3, 2 / 3, 2 / 3, 1]) == pytest.approx(
        expected, abs=1e-12
    )


def test_interpolated_average_precision_rows():
    prec = np.array([[1.0, 0.5, 2 / 3], [0.0, 0.5, 1 / 3]])
    rec = np.array([[0.5, 0.5, 1.0], [0.0, 0.5, 0.5]])
    np.testing.assert_allclose(
        interpolated_average_precision(prec, rec),
        [interpolated_ap(prec[0], rec[0]), interpolated_ap(prec[1], rec[1])],
        atol=1e-15,
    )
    np.testing.assert_allclose(interpolated_average_precision(prec, rec), [0.5 + 0.5 * 2 / 3, 0.25])


def test_zero_length_segments():
    # a zero-length prediction never matches a proper instance; against a zero-length instance the
    # tIoU is 0/0, which the official evaluator lets through at every threshold
    gt = gt_db({"v": [(5.0, 5.0, "a"), (10.0, 20.0, "a")]})
    pred = results({"v": [(15.0, 15.0, "a", 0.9), (5.0, 5.0, "a", 0.8)]})
    r = detection_map(gt, pred, [0.5, 0.95])
    # 1st: vs [5,5] -> 0/0 -> match. 2nd: [5,5] locked, vs [10,20] -> 0 -> FP
    np.testing.assert_allclose(r.ap[0], [0.5, 0.5], atol=1e-12)


# ---------------------------------------------------------------- properties


def random_case(rng: random.Random, n_videos=5, n_classes=3, max_gt=6, max_pred=12, grid=True):
    labels = [f"c{i}" for i in range(n_classes)]
    db = {}
    for v in range(n_videos):
        anns = []
        for _ in range(rng.randint(0, max_gt)):
            if grid:  # integer grid: exact tIoU ties and tIoUs exactly on a threshold
                s = rng.randint(0, 20)
                e = s + (0 if rng.random() < 0.03 else rng.randint(1, 8))
                seg = [str(s) if rng.random() < 0.3 else s, e]
            else:
                s = rng.uniform(0, 40)
                seg = [s, s + rng.uniform(0.5, 10)]
            anns.append({"segment": seg, "label": rng.choice(labels)})
        db[f"v{v}"] = {"subset": rng.choice(["test", "test", "train"]), "annotations": anns}
    db["v0"] = {"subset": "test", "annotations": db["v0"]["annotations"]
                + [{"segment": [1, 5], "label": labels[0]}]}
    instances = [(v, a) for v, d in db.items() for a in d["annotations"]]
    res = {}
    for v in list(db) + ["unknown_video"]:
        lst = []
        for _ in range(rng.randint(0, max_pred)):
            if rng.random() < 0.6:  # near (or exactly on) an instance, possibly a duplicate
                _, a = rng.choice(instances)
                s, e = float(a["segment"][0]), float(a["segment"][1])
                if rng.random() < 0.5:
                    s, e = s + rng.choice([-1, 0, 0.5, 1]), e + rng.choice([-1, 0, 1, 2])
                s = max(s, 0.0)
                e = max(e, s)
                lab = a["label"] if rng.random() < 0.8 else rng.choice(labels)
            else:
                s = rng.randint(0, 20) if grid else rng.uniform(0, 40)
                e = s + rng.randint(0, 8)
                lab = rng.choice(labels)
            score = rng.choice([0.1, 0.5, 0.5, 0.9, round(rng.random(), 2)]) if grid else rng.random()
            lst.append({"label": lab, "score": score, "segment": [s, e]})
        res[v] = lst
    return {"database": db}, {"results": res}


THRESHOLD_SETS = [
    TIOU_PRESETS["thumos14"],
    TIOU_PRESETS["thumos14-full"],
    TIOU_PRESETS["activitynet"],
    np.array([0.5, 0.25, 1 / 3, 0.75, 1.0]),
    np.array([0.0]),
]


@pytest.mark.parametrize("seed", range(4))
def test_matches_loop_reference_on_random_inputs(seed):
    rng = random.Random(seed)
    for i in range(150):
        big = i % 10 == 0
        gt, pred = random_case(
            rng, n_videos=rng.randint(1, 6), n_classes=rng.randint(1, 4),
            max_gt=25 if big else 6, max_pred=80 if big else 12, grid=i % 3 != 0,
        )
        thr = THRESHOLD_SETS[i % len(THRESHOLD_SETS)]
        subset = "test" if i % 2 else None
        r = quiet_map(gt, pred, thr, subset=subset, unknown_labels="warn")
        classes, ap, m_ap, avg = reference_detection_map(gt, pred, thr, subset=subset)
        assert list(r.class_names) == classes
        np.testing.assert_allclose(r.ap, np.array(ap), rtol=0, atol=1e-9)
        np.testing.assert_allclose(r.mAP, m_ap, rtol=0, atol=1e-9)
        assert r.average_mAP == pytest.approx(avg, abs=1e-9)


def test_matches_reference_with_small_pair_chunks(monkeypatch):
    monkeypatch.setattr(detection_module, "_PAIR_CHUNK", 7)
    rng = random.Random(11)
    for _ in range(30):
        gt, pred = random_case(rng, max_gt=15, max_pred=30)
        thr = TIOU_PRESETS["thumos14"]
        r = quiet_map(gt, pred, thr, unknown_labels="warn")
        _, ap, _, _ = reference_detection_map(gt, pred, thr)
        np.testing.assert_allclose(r.ap, np.array(ap), rtol=0, atol=1e-9)


def test_perfect_predictions_give_one():
    rng = random.Random(3)
    gt, _ = random_case(rng, n_videos=6, max_gt=10, grid=False)
    pred = {"results": {v: [{"label": a["label"], "score": rng.random(), "segment": a["segment"]}
                            for a in d["annotations"]] for v, d in gt["database"].items()}}
    r = detection_map(gt, pred, "thumos14-full")
    np.testing.assert_array_equal(r.ap, 1.0)
    assert r.average_mAP == 1.0


def test_shuffling_input_changes_nothing_when_scores_are_distinct():
    rng = random.Random(5)
    for _ in range(10):
        gt, pred = random_case(rng, max_gt=10, max_pred=30, grid=False)
        base = quiet_map(gt, pred, "thumos14", unknown_labels="warn")
        items = list(pred["results"].items())
        rng.shuffle(items)
        shuffled = {"results": {v: rng.sample(lst, len(lst)) for v, lst in items}}
        again = quiet_map(gt, shuffled, "thumos14", unknown_labels="warn")
        np.testing.assert_allclose(again.ap, base.ap, rtol=0, atol=1e-12)


def test_extra_false_positive_ranked_last_never_raises_ap():
    rng = random.Random(8)
    for _ in range(20):
        gt, pred = random_case(rng, max_gt=8, max_pred=20)
        base = quiet_map(gt, pred, "thumos14", unknown_labels="warn")
        for cls in base.class_names:
            extra = {"results": {v: list(lst) for v, lst in pred["results"].items()}}
            extra["results"].setdefault("v0", []).append(
                {"label": cls, "score": -1.0, "segment": [1000.0, 1001.0]}
            )
            more = quiet_map(gt, extra, "thumos14", unknown_labels="warn")
            assert np.all(more.ap <= base.ap + 1e-12)


# ---------------------------------------------------------------- options and inputs


def test_ambiguous_segments_drop_overlapping_predictions():
    gt = gt_db({"v": [(0.0, 10.0, "a"), (20.0, 30.0, "a")], "w": [(0.0, 10.0, "a")]})
    pred = results({
        "v": [(40.0, 45.0, "a", 0.99),  # overlaps the ambiguous [42, 50] -> dropped
              (50.0, 55.0, "a", 0.98),  # only touches it -> kept (FP)
              (0.0, 10.0, "a", 0.5), (20.0, 30.0, "a", 0.4)],
        "w": [(42.0, 50.0, "a", 0.97), (0.0, 10.0, "a", 0.3)],  # other video: not affected
    })
    amb = {"v": [(42.0, 50.0)]}
    off = detection_map(gt, pred, [0.5])
    on = detection_map(gt, pred, [0.5], ambiguous=amb)
    assert on.num_dropped_ambiguous == 1 and off.num_dropped_ambiguous == 0
    assert on.num_predictions == 5 and off.num_predictions == 6
    without_it = results({"v": [p for p in [(50.0, 55.0, "a", 0.98), (0.0, 10.0, "a", 0.5),
                                            (20.0, 30.0, "a", 0.4)]],
                          "w": [(42.0, 50.0, "a", 0.97), (0.0, 10.0, "a", 0.3)]})
    np.testing.assert_allclose(on.ap, detection_map(gt, without_it, [0.5]).ap, atol=1e-15)


def test_arrays_input_equals_json_input():
    rng = random.Random(9)
    gt, pred = random_case(rng, max_gt=10, max_pred=20, grid=False)
    flat = [(v, e) for v, lst in pred["results"].items() for e in lst]
    p = Predictions.from_arrays([v for v, _ in flat], [e["label"] for _, e in flat],
                                [e["score"] for _, e in flat], [e["segment"] for _, e in flat])
    inst = [(v, a, d["subset"]) for v, d in gt["database"].items() for a in d["annotations"]]
    g = GroundTruth.from_arrays([v for v, _, _ in inst], [a["label"] for _, a, _ in inst],
                                [a["segment"] for _, a, _ in inst],
                                subsets={v: d["subset"] for v, d in gt["database"].items()})
    a = quiet_map(g, p, "thumos14", subset="test", unknown_labels="warn")
    b = quiet_map(gt, pred, "thumos14", subset="test", unknown_labels="warn")
    np.testing.assert_array_equal(a.ap, b.ap)


def test_result_dict_and_table():
    gt = gt_db({"v": [(0.0, 10.0, "a"), (20.0, 30.0, "b")]})
    pred = results({"v": [(0.0, 10.0, "a", 0.9), (21.0, 30.0, "b", 0.8)]})
    r = detection_map(gt, pred, "thumos14")
    d = r.to_dict()
    assert set(d) >= {"tiou_thresholds", "mAP", "average_mAP", "ap_per_class"}
    assert d["tiou_thresholds"] == TIOU_PRESETS["thumos14"].tolist()
    assert d["ap_per_class"]["a"] == [1.0] * 7
    assert d["ap_per_class"]["b"] == [1.0] * 7  # tIoU 0.9 clears 0.7
    assert d["num_ground_truth"] == 2 and d["num_predictions"] == 2
    table = r.format_table(per_class=True)
    assert "mAP" in table and "100.00" in table and "0.70" in table


def test_unknown_labels_error_or_warning():
    gt = gt_db({"v": [(0.0, 10.0, "a")]})
    pred = results({"v": [(0.0, 10.0, "a", 0.9), (0.0, 10.0, "zzz", 0.8)]})
    with pytest.raises(ValueError, match="not in the ground truth.*'zzz'"):
        detection_map(gt, pred, [0.5], unknown_labels="error")
    with pytest.warns(UserWarning, match="zzz"):
        r = detection_map(gt, pred, [0.5])  # default: warn and drop
    assert r.ap[0, 0] == 1.0 and r.num_dropped_labels == 1


def test_label_of_another_subset_is_ignored_with_warning():
    gt = gt_db({"v": [(0.0, 10.0, "a")]})
    gt["database"]["t"] = {"subset": "train", "annotations": [{"segment": [0, 1], "label": "b"}]}
    pred = results({"v": [(0.0, 10.0, "a", 0.9), (0.0, 10.0, "b", 0.95)]})
    with pytest.warns(UserWarning, match="'b'"):
        r = detection_map(gt, pred, [0.5], subset="test")
    assert r.class_names == ("a",) and r.ap[0, 0] == 1.0


def test_empty_predictions_warn_and_give_zero():
    gt = gt_db({"v": [(0.0, 10.0, "a")]})
    with pytest.warns(UserWarning, match="no predictions"):
        r = detection_map(gt, {"results": {}}, "thumos14")
    assert np.all(r.ap == 0) and r.average_mAP == 0.0


def test_bad_arguments():
    gt = gt_db({"v": [(0.0, 10.0, "a")]})
    pred = results({"v": [(0.0, 10.0, "a", 0.9)]})
    with pytest.raises(ValueError, match="no video has subset 'validation'.*test"):
        detection_map(gt, pred, subset="validation")
    with pytest.raises(ValueError, match="unknown tIoU preset"):
        detection_map(gt, pred, "thumos")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        detection_map(gt, pred, [0.5, 1.5])
    with pytest.raises(ValueError, match="no ground-truth instance"):
        detection_map(gt_db({"v": []}), pred)


@pytest.mark.skipif(not THUMOS_GT.is_file(), reason="THUMOS'14 gt.json not available")
def test_real_thumos_ground_truth_with_string_segments():
    full = load_ground_truth(THUMOS_GT)
    test = full.select("test")
    assert (len(test.videos), len(test.labels), test.num_instances) == (210, 20, 3311)
    rng = np.random.default_rng(0)
    preds = Predictions.from_arrays(
        [test.videos[i] for i in test.video_index], [test.labels[i] for i in test.label_index],
        rng.random(test.num_instances), test.segments,
    )
    r = detection_map(full, preds, "thumos14", subset="test")
    np.testing.assert_array_equal(r.ap, 1.0)
    if THUMOS_AMBIGUOUS.is_file():
        r = detection_map(full, preds, "thumos14", subset="test", ambiguous=THUMOS_AMBIGUOUS)
        assert r.num_dropped_ambiguous > 0 and r.average_mAP < 1.0


def test_match_predictions_any_keys_and_order():
    from tal_pyg.evaluation import match_predictions

    rng = np.random.default_rng(4)
    g_key = rng.integers(0, 5, 40)
    g_seg = np.sort(rng.integers(0, 30, (40, 2)), axis=1).astype(float)
    p_key = rng.integers(-1, 6, 300)  # -1 and 5: keys without ground truth
    p_seg = np.sort(rng.integers(0, 30, (300, 2)), axis=1).astype(float)
    thr = TIOU_PRESETS["thumos14"]
    tp = match_predictions(g_key, g_seg, p_key, p_seg, thr)
    assert tp.shape == (7, 300) and not tp[:, (p_key == -1) | (p_key == 5)].any()
    # huge / negative keys: only equality of keys matters
    big = match_predictions(g_key * 10**15 - 7, g_seg, np.where(p_key >= 0, p_key * 10**15 - 7, 3), p_seg, thr)
    np.testing.assert_array_equal(tp, big)
    # each ground-truth instance is matched at most once per threshold
    for t in range(7):
        for k in range(5):
            assert tp[t, p_key == k].sum() <= (g_key == k).sum()
