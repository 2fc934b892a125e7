import numpy as np
import pytest
from tests._reference.postprocess import generate_ref

from tal_pyg.postprocess import (
    DEFAULT_ACT_THRESHOLDS,
    ProposalConfig,
    cas_to_proposals,
    class_nms,
    generate_proposals,
    minmax_normalize,
    select_classes,
    steps_to_seconds,
)


def _smooth_cas(rng, t, k):
    x = rng.random((t, k))
    kernel = np.ones(5) / 5
    return np.stack([np.convolve(x[:, i], kernel, mode="same") for i in range(k)], 1)


@pytest.mark.parametrize("contrast", ["thresholded", "raw"])
@pytest.mark.parametrize("form", ["basnet", "dgam"])
def test_matches_loop_reference(contrast, form):
    rng = np.random.default_rng(0)
    act = minmax_normalize(_smooth_cas(rng, 31, 3))
    classes, cscores = np.array([2, 5, 7]), np.array([0.9, 0.4, 0.3])
    kw = dict(contrast=contrast)
    w = 1.0 if form == "basnet" else 0.3
    got = generate_proposals(act, classes, cscores, DEFAULT_ACT_THRESHOLDS, snippet_seconds=0.64, upsample=4,
                             score_form=form, outer_weight=w, min_length=2, **kw)
    exp = generate_ref(act, classes, cscores, DEFAULT_ACT_THRESHOLDS, 0.64, upsample=4, contrast=contrast,
                       form=form, w=w, min_len=2)
    assert got.shape == exp.shape and got.shape[0] > 20
    np.testing.assert_allclose(got, exp, atol=1e-12)


def test_separate_threshold_signal_matches_reference():
    rng = np.random.default_rng(1)
    act = minmax_normalize(_smooth_cas(rng, 20, 2))
    mag = minmax_normalize(_smooth_cas(rng, 20, 1))[:, 0]
    th = [0.4, 0.45, 0.5, 0.55, 0.6]
    got = generate_proposals(act, [0, 1], [0.5, 0.5], th, snippet_seconds=1.0, upsample=3, threshold_on=mag,
                             contrast="raw")
    exp = generate_ref(act, [0, 1], [0.5, 0.5], th, 1.0, upsample=3, threshold_on=mag, contrast="raw")
    np.testing.assert_allclose(got, exp, atol=1e-12)


def test_hand_example_seconds_and_score():
    # one class, T = 6 snippets of 0.64 s, no upsampling, one threshold
    act = np.array([0.0, 0.1, 0.9, 0.8, 0.1, 0.0])
    p = generate_proposals(act, [4], [0.5], [0.5], snippet_seconds=0.64)
    # run [2, 3], n = 2: left margin ceil(0.5) = 1 -> {1}, right floor(0.5) = 0 -> {}; thresholded signal is 0 there
    assert p.shape == (1, 4)
    assert p[0, 0] == 4
    assert p[0, 1] == pytest.approx(0.85 - 0.0 + 0.2 * 0.5)
    np.testing.assert_allclose(p[0, 2:], [2 * 0.64, 4 * 0.64])
    raw = generate_proposals(act, [4], [0.5], [0.5], snippet_seconds=0.64, contrast="raw")
    assert raw[0, 1] == pytest.approx(0.85 - 0.1 + 0.1)


def test_steps_to_seconds_spec_mapping():
    # docs/method.md#snippets-seconds-and-sampling:
    # [s, e] -> [s * step, (e + 1) * step), step = snippet_seconds / upsample
    np.testing.assert_allclose(steps_to_seconds([0, 24], [23, 47], 0.64, upsample=24), [[0.0, 0.64], [0.64, 1.28]])
    # resampled video: T_orig = 1000 snippets sampled to 750 -> snippet_seconds = 0.64 * 1000 / 750
    np.testing.assert_allclose(steps_to_seconds([749], [749], 0.64 * 1000 / 750), [[749 * 0.64 * 4 / 3, 640.0]])


def test_select_classes():
    s = np.array([0.1, 0.25, 0.3, 0.05])
    assert select_classes(s, 0.25).tolist() == [1, 2]
    assert select_classes(s, 0.25, inclusive=False).tolist() == [2]
    assert select_classes(s, 0.5).tolist() == [2]
    assert select_classes(s, 0.5, argmax_if_none=False).tolist() == []


def test_cas_to_proposals_finds_the_planted_action():
    t = 50
    cas = np.full((t, 3), -1.0)
    cas[20:30, 1] = 3.0
    props = cas_to_proposals(cas, [0.05, 0.9, 0.05], snippet_seconds=0.64, config=ProposalConfig())
    assert set(props[:, 0].tolist()) == {1.0}
    best = props[np.argmax(props[:, 1])]
    # linear upsampling ramps between snippets 19 and 20 / 29 and 30
    assert best[2] == pytest.approx(19 * 0.64, abs=0.64) and best[3] == pytest.approx(30 * 0.64, abs=0.64)
    # NMS was applied: the survivors overlap less than the threshold
    np.testing.assert_array_equal(class_nms(props, 0.7), props)


def test_thresholded_contrast_sees_a_neighbouring_run_in_the_margin():
    # runs above 0.5: A = [1, 2] (0.9) and B = [4, 11] (0.6); step 3 = 0.3 is below the threshold
    act = np.array([0.0, 0.9, 0.9, 0.3] + [0.6] * 8 + [0.0, 0.0])
    p = generate_proposals(act, [0], [0.0], [0.5], snippet_seconds=1.0)
    # B: n = 8, left margin ceil(2) = {2, 3}, right margin floor(2) = {12, 13}
    # thresholded: step 2 is part of run A (0.9), step 3 is below the threshold (0)
    assert p[1, 1] == pytest.approx(0.6 - (0.9 + 0.0 + 0.0 + 0.0) / 4)
    assert p[0, 1] == pytest.approx(0.9 - 0.0)  # A: left {0}, right floor(0.5) = none
    raw = generate_proposals(act, [0], [0.0], [0.5], snippet_seconds=1.0, contrast="raw")
    assert raw[1, 1] == pytest.approx(0.6 - (0.9 + 0.3 + 0.0 + 0.0) / 4)


def test_short_run_in_the_margin_stays_in_the_thresholded_signal():
    """Released UM (min_length = 2): a length-1 run is no proposal but keeps its value in the thresholded
    CAS, so it counts in a neighbour's outer mean.

    steps 0..13, threshold 0.2: runs [2, 2] (0.9, length 1) and [4, 11] (0.5, length 8); step 3 holds 0.1
    (below the threshold, so 0 in the thresholded signal). Proposal [4, 11]: n = 8, margins
    [trunc(4 - 2), 4) = {2, 3} and (11, trunc(11 + 2)] = {12, 13}; inner mean 0.5.
    """
    act = np.zeros(14)
    act[2], act[3], act[4:12] = 0.9, 0.1, 0.5
    common = dict(snippet_seconds=1.0, score_weight=0.0, min_length=2)
    got = generate_proposals(act, [0], [0.5], [0.2], **common)
    assert got.shape == (1, 4)  # the length-1 run is not a proposal
    np.testing.assert_allclose(got[0, 2:], [4.0, 12.0])
    assert got[0, 1] == pytest.approx(0.5 - (0.9 + 0.0 + 0.0 + 0.0) / 4)  # released: 0.275
    zeroed = generate_proposals(act, [0], [0.5], [0.2], short_runs_in_signal=False, **common)
    assert zeroed[0, 1] == pytest.approx(0.5)  # the short run zeroed too
    raw = generate_proposals(act, [0], [0.5], [0.2], contrast="raw", **common)
    assert raw[0, 1] == pytest.approx(0.5 - (0.9 + 0.1) / 4)
    exp = generate_ref(act[:, None], [0], [0.5], [0.2], 1.0, gamma=0.0, min_len=2)  # loop reference
    np.testing.assert_allclose(got, exp, atol=1e-12)


def test_bam_passes_the_released_short_run_rule():
    from tal_pyg.models import BaMConfig

    assert BaMConfig().proposal.min_length == 2 and BaMConfig().proposal.short_runs_in_signal is True
