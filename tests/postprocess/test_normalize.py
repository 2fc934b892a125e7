import numpy as np
import pytest

from tal_pyg.postprocess import minmax_normalize


def _ref(col, clamp=True):
    lo, hi = min(col), max(col)
    if clamp:
        lo, hi = max(lo, 0.0), max(hi, 0.0)
    d = hi - lo if hi - lo > 0 else 1.0
    return [min(max((v - lo) / d, 0.0), 1.0) for v in col]


def test_matches_loop_reference_per_class():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(37, 5)) + np.array([0, 3, -3, 1, 0.5])
    out = minmax_normalize(x)
    for c in range(5):
        np.testing.assert_allclose(out[:, c], _ref(list(x[:, c])), rtol=0, atol=1e-15)
    out2 = minmax_normalize(x, clamp_bounds_at_zero=False)
    for c in range(5):
        np.testing.assert_allclose(out2[:, c], _ref(list(x[:, c]), clamp=False), atol=1e-15)
        assert out2[:, c].min() == 0.0 and out2[:, c].max() == 1.0


def test_negative_logits_clamped_bounds_give_x_over_max():
    x = np.array([[-2.0], [1.0], [4.0]])
    np.testing.assert_allclose(minmax_normalize(x)[:, 0], [0.0, 0.25, 1.0])


def test_constant_sequence_and_given_bounds():
    x = np.full((4, 2), 0.3)
    np.testing.assert_allclose(minmax_normalize(x, clamp_bounds_at_zero=False), 0.0)
    m = np.array([1.0, 2.0, 3.0, 5.0])
    np.testing.assert_allclose(minmax_normalize(m, lower=2.0, upper=4.0), [0.0, 0.0, 0.5, 1.0])


def test_axis_and_errors():
    x = np.random.default_rng(1).normal(size=(3, 10))
    np.testing.assert_allclose(minmax_normalize(x, axis=1), minmax_normalize(x.T, axis=0).T)
    with pytest.raises(ValueError, match="empty"):
        minmax_normalize(np.zeros((0, 3)))


def test_clipped_vs_unclipped_hand_case():
    """The released BaS-Net does not clip (values below the clamped lower bound stay negative); UM clips."""
    x = np.array([[-1.0], [0.0], [1.0], [2.0]])  # lo = max(-1, 0) = 0, hi = 2
    np.testing.assert_allclose(minmax_normalize(x, clip=False)[:, 0], [-0.5, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(minmax_normalize(x, clip=True)[:, 0], [0.0, 0.0, 0.5, 1.0])
    # given bounds (BaM's magnitudes): outside [lower, upper] only the clip keeps the result in [0, 1]
    m = np.array([1.0, 3.0, 5.0])
    np.testing.assert_allclose(minmax_normalize(m, lower=2.0, upper=4.0, clip=False), [-0.5, 0.5, 1.5])


def test_unclipped_normalisation_moves_the_upsampled_threshold_crossing():
    """BaS-Net's recipe: CAS [-1, 1] normalises to [-1, 1] unclipped ([0, 1] clipped); upsampled x2 (linear,
    extrapolated) that is [-1, 0, 1, 2] vs [0, 0.5, 1, 1.5], so at threshold 0 the proposal starts at step 2
    (1.0 s) unclipped and at step 1 (0.5 s) clipped."""
    from tal_pyg.postprocess import ProposalConfig, cas_to_proposals

    cas = np.array([[-1.0], [1.0]])
    common = dict(class_threshold=0.0, thresholds=(0.0,), upsample=2, score_weight=0.0, nms_threshold=0.7)
    unclipped = cas_to_proposals(cas, [0.9], 1.0, ProposalConfig(minmax_clip=False, **common))
    clipped = cas_to_proposals(cas, [0.9], 1.0, ProposalConfig(minmax_clip=True, **common))
    np.testing.assert_allclose(unclipped[:, 2:], [[1.0, 2.0]])
    np.testing.assert_allclose(clipped[:, 2:], [[0.5, 2.0]])
    # thresholded contrast: inner mean of the run; margins lie outside the active set (0 there)
    assert unclipped[0, 1] == pytest.approx(1.5)
    assert clipped[0, 1] == pytest.approx(1.0)


def test_heads_default_to_their_released_normalisation():
    from tal_pyg.models import BaMConfig, BaSNetConfig

    assert BaSNetConfig().proposal.minmax_clip is False
    assert BaMConfig().proposal.minmax_clip is True
