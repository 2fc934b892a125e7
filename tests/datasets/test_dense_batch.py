import pytest
import torch
from torch_geometric.data import Data

from tal_pyg.datasets import DenseBatch


def make(T, D, name, ss=0.64, c=3, label=0):
    y = torch.zeros(1, c)
    y[0, label] = 1
    return Data(x=torch.randn(T, D), y=y, video_name=name, duration=T * ss + 0.3, snippet_seconds=ss, num_snippets=T,
                gt_segments=torch.tensor([[0.0, 1.0]]), gt_labels=torch.tensor([label]))


def test_matches_manual_padding():
    torch.manual_seed(0)
    data = [make(5, 4, "a"), make(2, 4, "b", ss=1.5, label=2), make(7, 4, "c", label=1)]
    b = DenseBatch.from_data_list(data)
    assert b.x.shape == (3, 7, 4) and b.mask.dtype == torch.bool and len(b) == 3
    for k, d in enumerate(data):
        T = d.x.size(0)
        assert torch.equal(b.x[k, :T], d.x) and (b.x[k, T:] == 0).all()
        assert b.mask[k].tolist() == [True] * T + [False] * (7 - T)
    assert b.lengths.tolist() == [5, 2, 7]
    assert torch.equal(b.y, torch.tensor([[1.0, 0, 0], [0, 0, 1], [0, 1, 0]]))
    assert b.video_names == ["a", "b", "c"]
    assert b.snippet_seconds.tolist() == [0.64, 1.5, 0.64]
    assert b.durations.tolist() == pytest.approx([5 * 0.64 + 0.3, 3.3, 7 * 0.64 + 0.3])
    assert b.num_snippets.tolist() == [5, 2, 7]
    assert [s.tolist() for s in b.gt_segments] == [[[0.0, 1.0]]] * 3
    moved = b.to("cpu")
    assert torch.equal(moved.x, b.x) and moved.video_names == b.video_names


def test_errors():
    with pytest.raises(ValueError, match="empty"):
        DenseBatch.from_data_list([])
    with pytest.raises(ValueError, match="feature dims"):
        DenseBatch.from_data_list([make(3, 4, "a"), make(3, 5, "b")])


def test_as_collate_fn(tiny_features):
    from tal_pyg.datasets import WTALFeatures

    ds = WTALFeatures(tiny_features, split="test")
    loader = torch.utils.data.DataLoader(ds, batch_size=3, collate_fn=DenseBatch.from_data_list)
    b = next(iter(loader))
    assert b.x.shape[0] == 3 and b.x.shape[2] == 32 and b.mask.sum().item() == sum(ds[i].x.size(0) for i in range(3))


def test_snippet_labels_reference():
    from tal_pyg.datasets.snippet_labels import snippet_labels

    seg = torch.tensor([[0.5, 2.0], [1.9, 3.0], [5.0, 5.2]])
    lab = torch.tensor([3, 1, 2])
    out = snippet_labels(seg, lab, 6, 1.0)
    # step 0 [0,1): 0.5 of seg0 -> 3; step 1 [1,2): 1.0 seg0 vs 0.1 seg1 -> 3; step 2 [2,3): seg1 -> 1;
    # step 3, 4: none; step 5 [5,6): 0.2 < 0.5 -> background
    assert out.tolist() == [3, 3, 1, -1, -1, -1]
    assert snippet_labels(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), 3, 0.64).tolist() == [-1] * 3


def test_equal_lengths_stack_like_to_dense_batch():
    from torch_geometric.utils import to_dense_batch

    torch.manual_seed(1)
    data = [make(6, 4, "a"), make(6, 4, "b"), make(6, 4, "c")]
    b = DenseBatch.from_data_list(data)
    x, mask = to_dense_batch(torch.cat([d.x for d in data]), torch.arange(3).repeat_interleave(6), batch_size=3)
    assert torch.equal(b.x, x) and torch.equal(b.mask, mask) and b.x.is_contiguous()
