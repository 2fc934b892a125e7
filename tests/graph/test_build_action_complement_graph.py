"""build_action_complement_graph against the dense reference of tests/_reference/acg.py."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tal_pyg.graph import GRAPH_VARIANTS, build_action_complement_graph
from tests._reference.acg import dense_acg, edges_to_dense


def assert_matches_reference(x, device="cpu", **kwargs):
    """Edge set identical, weights equal to float tolerance, for one video x [T, D], built on
    ``device``; the module path (``check_values=False``: no host reads, ties broken on the device)
    gives exactly the edges and weights of the checked path."""
    edge_index, edge_weight = build_action_complement_graph(x.to(device), **kwargs)
    ei_fast, ew_fast = build_action_complement_graph(x.to(device), check_values=False, **kwargs)
    assert torch.equal(edge_index, ei_fast) and torch.equal(edge_weight, ew_fast)
    edge_index, edge_weight = edge_index.cpu(), edge_weight.cpu()
    _, keep_ref, a_hat_ref = dense_acg(x.numpy(), **kwargs)
    keep, dense = edges_to_dense(edge_index, edge_weight, x.shape[0])
    assert edge_index.dtype == torch.long and edge_index.shape == (2, edge_weight.numel())
    np.testing.assert_array_equal(keep, keep_ref)
    tol = 1e-12 if x.dtype == torch.float64 else 1e-5
    np.testing.assert_allclose(dense, a_hat_ref, rtol=tol, atol=tol)
    return edge_index, edge_weight


@pytest.mark.parametrize("graph", GRAPH_VARIANTS)
@pytest.mark.parametrize("k,threshold", [(5, 0.3), (3, -1.0), (50, 0.2), (8, float("-inf"))])
def test_random_features_match_reference(graph, k, threshold, device):
    gen = torch.Generator().manual_seed(k)
    x = torch.rand(37, 6, generator=gen, dtype=torch.float64)  # non-negative: similar snippets exist
    assert_matches_reference(x, device, k=k, threshold=threshold, alpha=0.7, z=4, graph=graph)


def test_random_float32_matches_reference_with_paper_defaults(device):
    gen = torch.Generator().manual_seed(0)
    centres = torch.rand(3, 64, generator=gen)
    x = centres[torch.randint(0, 3, (120,), generator=gen)] + 0.1 * torch.rand(120, 64, generator=gen)
    edge_index, _ = assert_matches_reference(x, device, k=10)
    assert edge_index.size(1) > 0
    # defaults: A_ii = 0.5 < lambda, so no self-loop; edges only between snippets >= ~7 apart
    assert not bool((edge_index[0] == edge_index[1]).any())
    assert int((edge_index[0] - edge_index[1]).abs().min()) >= 7


def test_ties_keep_smallest_source_index(device):
    # one-hot features: cosine is exactly 0 or 1, so every far same-class entry ties at A = 1
    labels = torch.tensor([0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
    x = torch.nn.functional.one_hot(labels, 2).double()
    edge_index, _ = assert_matches_reference(x, device, k=2, threshold=0.85, z=2)
    # row 14 (class 0): candidates with A=1 are all class-0 j with |14-j| >= 2; the two smallest win
    sources = edge_index[0][edge_index[1] == 14].tolist()
    assert sources == [0, 2]


@pytest.mark.parametrize("graph", GRAPH_VARIANTS)
def test_constant_features_are_all_ties(graph, device):
    x = torch.full((23, 4), 2.0, dtype=torch.float64)  # normalised exactly to 0.5, cosine exactly 1
    assert_matches_reference(x, device, k=4, threshold=0.85, z=10, graph=graph)
    assert_matches_reference(x, device, k=4, threshold=0.5, z=3, graph=graph)


def test_temporal_only_ties():
    x = torch.zeros(30, 3, dtype=torch.float64)
    edge_index, _ = assert_matches_reference(x, k=5, threshold=0.85, graph="temporal_only")
    assert edge_index.size(1) == 30 * 5


def test_zero_vectors_have_cosine_zero():
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(20, 5, generator=gen, dtype=torch.float64)
    x[[0, 3, 4, 17]] = 0.0
    edge_index, _ = assert_matches_reference(x, k=6, threshold=0.2, z=3)
    assert_matches_reference(torch.zeros(9, 5, dtype=torch.float64), k=3, threshold=-0.5, z=3)
    # zero rows only get temporal weight: (0 + At)/2 <= 0.5 < 0.85, no edges at the default lambda
    ei, _ = build_action_complement_graph(torch.zeros(12, 5))
    assert ei.size(1) == 0


@pytest.mark.parametrize("t", [1, 2, 7])
def test_short_videos_k_larger_than_t(t):
    gen = torch.Generator().manual_seed(t)
    x = torch.rand(t, 4, generator=gen, dtype=torch.float64)
    assert_matches_reference(x, k=50, threshold=-1.0, z=3)  # K >= T: every node is a candidate
    assert_matches_reference(x, k=50, threshold=0.4, z=3)
    ei, ew = build_action_complement_graph(x, k=50, threshold=-1.0, z=3)
    assert ei.size(1) == t * t


def test_single_snippet_default_graph_is_empty():
    ei, ew = build_action_complement_graph(torch.rand(1, 8))
    assert ei.shape == (2, 0) and ew.shape == (0,)


def test_k_equal_t_is_dense_threshold_only():
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(25, 4, generator=gen, dtype=torch.float64)
    ei_k, ew_k = build_action_complement_graph(x, k=25, threshold=0.6, z=5)
    ei_big, ew_big = build_action_complement_graph(x, k=10_000, threshold=0.6, z=5)
    assert torch.equal(ei_k, ei_big) and torch.equal(ew_k, ew_big)
    a, _, _ = dense_acg(x.numpy(), k=25, threshold=0.6, z=5)
    assert ei_k.size(1) == int((a > 0.6).sum())


def test_rows_normalised_and_sorted_by_target():
    gen = torch.Generator().manual_seed(4)
    x = torch.rand(3, 40, 6, generator=gen)
    ei, ew = build_action_complement_graph(x, k=7, threshold=0.3, z=4)
    assert bool((ei[1, 1:] >= ei[1, :-1]).all())
    key = ei[1] * 120 + ei[0]
    assert bool((key[1:] > key[:-1]).all())  # sorted by (target, source), no duplicates
    row_sums = torch.zeros(120).index_add_(0, ei[1], ew)
    has_edges = torch.bincount(ei[1], minlength=120) > 0
    torch.testing.assert_close(row_sums[has_edges], torch.ones(int(has_edges.sum())))
    assert bool((ew > 0).all())


def test_batched_with_padding_equals_per_video():
    gen = torch.Generator().manual_seed(5)
    lengths = [30, 1, 17, 30, 4]
    t_max, d = max(lengths), 5
    x = torch.rand(len(lengths), t_max, d, generator=gen)
    mask = torch.arange(t_max)[None, :] < torch.tensor(lengths)[:, None]
    x_garbage = x.clone()
    x_garbage[~mask] = 123.0  # padded values must not matter
    kwargs = dict(k=6, threshold=0.3, z=4)
    ei, ew = build_action_complement_graph(x_garbage, mask, **kwargs)
    expected_src, expected_dst, expected_w = [], [], []
    for b, n in enumerate(lengths):
        ei_b, ew_b = build_action_complement_graph(x[b, :n], **kwargs)
        expected_src.append(ei_b[0] + b * t_max)
        expected_dst.append(ei_b[1] + b * t_max)
        expected_w.append(ew_b)
    expected = torch.stack([torch.cat(expected_src), torch.cat(expected_dst)])
    assert torch.equal(ei, expected)
    torch.testing.assert_close(ew, torch.cat(expected_w))
    padded = (~mask).reshape(-1)
    assert not bool(padded[ei[0]].any()) and not bool(padded[ei[1]].any())


def test_padding_with_k_larger_than_valid_length():
    x = torch.rand(2, 10, 3, dtype=torch.float64)
    mask = torch.zeros(2, 10, dtype=torch.bool)
    mask[0, :3] = True
    mask[1, :] = True
    ei, _ = build_action_complement_graph(x, mask, k=8, threshold=-1.0, z=2)
    assert int(((ei[1] < 10)).sum()) == 3 * 3  # video 0: all 3 valid sources, never a padded one
    assert int(((ei[1] >= 10)).sum()) == 10 * 8


@pytest.mark.parametrize("block_size", [1, 3, 19, 20, 39, 40, 41, 1000])
def test_blocked_equals_unblocked(block_size):
    gen = torch.Generator().manual_seed(6)
    x = torch.rand(3, 20, 6, generator=gen)
    mask = torch.ones(3, 20, dtype=torch.bool)
    mask[1, 12:] = False
    # one-hot copies create ties across block boundaries as well
    x[2] = torch.nn.functional.one_hot(torch.arange(20) % 3, 6).float()
    kwargs = dict(k=4, threshold=0.3, z=3)
    ei_ref, ew_ref = build_action_complement_graph(x, mask, block_size=None, **kwargs)
    ei, ew = build_action_complement_graph(x, mask, block_size=block_size, **kwargs)
    assert torch.equal(ei, ei_ref)
    torch.testing.assert_close(ew, ew_ref, rtol=1e-6, atol=1e-7)


def test_deterministic_and_no_grad():
    x = torch.rand(2, 30, 4, requires_grad=True)
    ei1, ew1 = build_action_complement_graph(x, k=5, threshold=0.3)
    ei2, ew2 = build_action_complement_graph(x, k=5, threshold=0.3)
    assert torch.equal(ei1, ei2) and torch.equal(ew1, ew2)
    assert not ew1.requires_grad


def test_half_precision_input_is_processed_in_float32():
    x = torch.rand(15, 4)
    ei, ew = build_action_complement_graph(x.to(torch.bfloat16), k=4, threshold=0.3)
    assert ew.dtype == torch.float32 and ei.size(1) > 0


@pytest.mark.parametrize(
    "x,kwargs,match",
    [
        (torch.rand(2, 3, 4, 5), {}, "shape"),
        (torch.rand(5), {}, "shape"),
        (torch.tensor([[0.0, float("nan")]]), {}, "NaN or inf"),
        (torch.tensor([[0.0, float("inf")]]), {}, "NaN or inf"),
        (torch.ones(3, 4, dtype=torch.long), {}, "floating"),
        (torch.rand(3, 4), {"k": 0}, "k must"),
        (torch.rand(3, 4), {"z": 0}, "z must"),
        (torch.rand(3, 4), {"graph": "dense"}, "graph must"),
        (torch.rand(3, 4), {"threshold": float("nan")}, "threshold"),
        (torch.rand(3, 4), {"block_size": 0}, "block_size"),
        (torch.rand(2, 3, 4), {"mask": torch.ones(2, 4, dtype=torch.bool)}, "mask must have shape"),
        (torch.rand(2, 3, 4), {"mask": torch.ones(2, 3)}, "bool"),
    ],
)
def test_errors(x, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_action_complement_graph(x, **kwargs)


def test_huge_finite_values_do_not_overflow_the_cosine():
    x = torch.rand(12, 5, generator=torch.Generator().manual_seed(9))
    ei, ew = build_action_complement_graph(x, k=3, threshold=0.3, z=2)
    ei_big, ew_big = build_action_complement_graph(x * 1e30, k=3, threshold=0.3, z=2)  # squares overflow
    assert torch.equal(ei, ei_big)
    torch.testing.assert_close(ew, ew_big)


@pytest.mark.parametrize("graph", ["full", "temporal_only"])
def test_nan_anywhere_is_rejected(graph):
    x = torch.rand(2, 6, 3)
    x[1, 4, 2] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        build_action_complement_graph(x, graph=graph)


@pytest.mark.parametrize("kind", ["random", "ties", "padded"])
def test_chunk_preselection_equals_plain_top_k(kind):
    from tal_pyg.graph.action_complement_graph import _select_top_k

    gen = torch.Generator().manual_seed(10)
    a = torch.rand(2, 5, 203, generator=gen)  # 203 = 50 chunks of 4 + a short one of 3
    if kind == "ties":
        a = torch.round(a * 4) / 4  # a handful of distinct values: ties everywhere
    if kind == "padded":
        a[1, :, 150:] = float("-inf")
    k, threshold = 6, 0.3
    plain_values, plain_index = _select_top_k(a, k, threshold, None, chunk=10_000)
    values, index = _select_top_k(a, k, threshold, None, chunk=4)  # 51 chunks >= 4 * (k + 1)

    def as_sets(v, i):
        keep = v > threshold
        return [sorted(i[b, r][keep[b, r]].tolist()) for b in range(2) for r in range(5)]

    assert as_sets(values, index) == as_sets(plain_values, plain_index)
    for b in range(2):
        for r in range(5):
            ref = np.lexsort((np.arange(203), -a[b, r].numpy()))[:k]
            expected = sorted(int(j) for j in ref if a[b, r, j] > threshold)
            assert as_sets(values, index)[b * 5 + r] == expected


def test_g2_has_edges_at_the_default_threshold_hand_case():
    """G2 = As - alpha At (no 1/2). Identical features (As = 1), Z = 10, alpha = 1: A_ij = (10 - |i-j|)/10 for
    |i-j| < 10, so at lambda = 0.85 each snippet keeps itself (1.0) and its neighbours (0.9). The earlier
    (As - At)/2 is at most 1/2 and had no edge at all."""
    x = torch.ones(5, 4, dtype=torch.float64)
    ei, ew = build_action_complement_graph(x, k=50, threshold=0.85, z=10, graph="similarity_minus_temporal")
    keep, dense = edges_to_dense(ei, ew, 5)
    expected = np.abs(np.arange(5)[:, None] - np.arange(5)[None, :]) <= 1
    np.testing.assert_array_equal(keep, expected)
    np.testing.assert_allclose(dense[0, :2], [1.0 / 1.9, 0.9 / 1.9], atol=1e-12)  # row 0: {0: 1.0, 1: 0.9}
    np.testing.assert_allclose(dense[2, 1:4], [0.9 / 2.8, 1.0 / 2.8, 0.9 / 2.8], atol=1e-12)


@pytest.mark.parametrize("k", [1, 5, 20])
def test_g2_at_default_lambda_matches_dense_reference_and_changes_with_k(k):
    """Smooth features (neighbours similar): G2 keeps edges at lambda = 0.85, K matters."""
    g = torch.Generator().manual_seed(3)
    x = torch.cumsum(torch.randn(60, 16, generator=g, dtype=torch.float64) * 0.05, dim=0) + 1.0
    ei, _ = assert_matches_reference(x, k=k, threshold=0.85, z=10, graph="similarity_minus_temporal")
    assert ei.shape[1] > 0
    assert ei.shape[1] <= 60 * k


@pytest.mark.parametrize("features", ["random", "duplicated", "one_hot"])
@pytest.mark.parametrize("block_size", [None, 7])
def test_module_path_equals_checked_path_with_padding_and_ties(features, block_size, device):
    """check_values=False (what ACGNet uses outside debug mode) gives the same graph, padding and
    ties included: duplicated snippets (short videos up-sampled to T) tie exactly."""
    gen = torch.Generator().manual_seed(11)
    lengths = [40, 13, 1, 40]
    x = torch.rand(4, 40, 8, generator=gen)
    if features == "duplicated":
        x = x[:, torch.arange(40) // 3]  # every snippet three times, as RandomPerturbedSampling repeats
    if features == "one_hot":
        x = torch.nn.functional.one_hot(torch.arange(40) % 4, 8).float().expand(4, 40, 8).clone()
    mask = torch.arange(40)[None, :] < torch.tensor(lengths)[:, None]
    for kwargs in (dict(k=5, threshold=0.3, z=3), dict(k=50, threshold=0.85), dict(k=3, threshold=float("-inf"))):
        ref = build_action_complement_graph(x, mask, block_size=block_size, **kwargs)
        got = build_action_complement_graph(x.to(device), mask.to(device), block_size=block_size,
                                            check_values=False, **kwargs)
        assert torch.equal(got[0].cpu(), ref[0]), kwargs
        torch.testing.assert_close(got[1].cpu(), ref[1], rtol=1e-6, atol=1e-7)


def test_edge_set_identical_under_bf16_autocast(device):
    """The top-K runs on the float32 similarity: autocast does not change the graph."""
    from tal_pyg.nn import ACGNet

    gen = torch.Generator().manual_seed(12)
    centres = torch.rand(4, 64, generator=gen)
    x = (centres[torch.randint(0, 4, (2, 90), generator=gen)] + 0.1 * torch.rand(2, 90, 64, generator=gen)).to(device)
    model = ACGNet(64, k=10).to(device)
    ei32, ew32 = build_action_complement_graph(x, k=10)
    _, ei_fwd, ew_fwd = model.forward_batch(x)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        ei16, ew16 = build_action_complement_graph(x, k=10)
        out, ei_mod, ew_mod = model.forward_batch(x)
    assert ei32.size(1) > 0
    assert torch.equal(ei16, ei32) and torch.equal(ew16, ew32)
    assert torch.equal(ei_mod, ei32) and torch.equal(ei_fwd, ei32)
    assert torch.equal(ew_mod, ew_fwd)
    assert out.shape == (2, 90, 64) and torch.isfinite(out.float()).all()
