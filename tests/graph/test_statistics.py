"""GraphStatistics against plain-Python counts written from the formulas of its docstring."""
from __future__ import annotations

import pytest
import torch

from tal_pyg.graph.statistics import DISTANCE_BINS, GraphStatistics


def reference(graphs):
    """``graphs = [(edges [(j, i)], T, labels or None)]`` -> the same keys as ``summary()``."""
    nodes = sum(t for _, t, _ in graphs)
    edges = [(j, i, lab) for e, _, lab in graphs for j, i in e]
    iso = sum(sum(1 for n in range(t) if not any(i == n for _, i in e)) for e, t, _ in graphs)
    out = {"snippets": nodes, "edges": len(edges), "mean_in_degree": len(edges) / nodes,
           "isolated_fraction": iso / nodes,
           "mean_edge_distance": sum(abs(i - j) for j, i, _ in edges) / len(edges)}
    lab_edges = [(lab[j], lab[i]) for j, i, lab in edges if lab is not None]
    out["same_label_edge_fraction"] = sum(a == b for a, b in lab_edges) / len(lab_edges)
    into = [(a, b) for a, b in lab_edges if b >= 0]
    out["action_purity"] = sum(a == b for a, b in into) / len(into)
    per = {}
    for a, b in into:
        n, s = per.get(b, (0, 0))
        per[b] = (n + 1, s + (a == b))
    out["per_class"] = {c: s / n for c, (n, s) in per.items()}
    return out


def test_against_reference():
    g1 = ([(3, 0), (4, 0), (0, 3), (5, 1), (1, 5), (2, 4)], 6, [0, 1, -1, 0, 0, 1])
    g2 = ([(0, 2), (7, 2), (2, 7), (6, 1)], 8, [-1, -1, 1, 1, 1, -1, 1, 1])
    stats = GraphStatistics(class_names=["a", "b"])
    for e, t, lab in (g1, g2):
        ei = torch.tensor(e, dtype=torch.long).t()
        stats.update(ei, t, torch.tensor(lab))
    got, ref = stats.summary(), reference([g1, g2])
    for key in ("snippets", "edges", "mean_in_degree", "isolated_fraction", "mean_edge_distance",
                "same_label_edge_fraction", "action_purity"):
        assert got[key] == pytest.approx(ref[key]), key
    assert {k: v["purity"] for k, v in got["per_class"].items()} == pytest.approx(
        {["a", "b"][c]: p for c, p in ref["per_class"].items()})
    assert sum(got["edge_distance_histogram"].values()) == ref["edges"]
    assert got["max_in_degree"] == 2


def test_distance_histogram_bins():
    # distances 1, 2, 4, 5, 600: bins [1,2), [2,5) twice, [5,10), >=500
    ei = torch.tensor([[1, 2, 4, 5, 600], [0, 0, 0, 0, 0]])
    stats = GraphStatistics()
    stats.update(ei, 601)
    hist = stats.summary()["edge_distance_histogram"]
    assert list(hist)[0] == "[0,1)" and list(hist)[-1] == f">={DISTANCE_BINS[-1]}"
    assert hist["[1,2)"] == 1 and hist["[2,5)"] == 2 and hist["[5,10)"] == 1 and hist[">=500"] == 1
    assert sum(hist.values()) == 5


def test_no_labels_no_edges():
    stats = GraphStatistics()
    stats.update(torch.zeros(2, 0, dtype=torch.long), 4)
    s = stats.summary()
    assert s["edges"] == 0 and s["isolated_fraction"] == 1.0 and s["mean_edge_distance"] is None
    assert "action_purity" not in s


@pytest.mark.parametrize("bad, match", [
    (dict(edge_index=torch.zeros(3, 1, dtype=torch.long), num_nodes=2), "shape"),
    (dict(edge_index=torch.tensor([[0], [5]]), num_nodes=2), "outside"),
    (dict(edge_index=torch.tensor([[0], [1]]), num_nodes=2, labels=torch.tensor([0, 1, 0])), "one per snippet"),
])
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        GraphStatistics().update(**bad)
