r"""Descriptive statistics of action complement graphs, for diagnosing a graph setting on a dataset.

For a graph with edges :math:`j \to i` (``edge_index[0] = j`` source, ``edge_index[1] = i`` target)
over :math:`T` snippets, with optional snippet labels :math:`\ell_t \in \{-1, 0, \dots, C-1\}`
(:math:`-1` = background, e.g. from :func:`tal_pyg.datasets.snippet_labels.snippet_labels`):

.. math::

    \text{mean in-degree} &= |E| / T, \qquad
    \text{isolated} = \frac{|\{i : \deg^-(i) = 0\}|}{T}, \qquad
    \text{mean distance} = \frac{1}{|E|} \sum_{(j, i) \in E} |i - j| \\
    \text{same-label share} &= \frac{|\{(j, i) \in E : \ell_j = \ell_i\}|}{|E|} \\
    \text{purity}_c &= \frac{|\{(j, i) \in E : \ell_i = c,\ \ell_j = c\}|}{|\{(j, i) \in E : \ell_i = c\}|}
    \quad \text{(edges into snippets of class } c\text{)}

The action purity pools the classes: the share of the edges into action snippets
(:math:`\ell_i \ge 0`) whose source has the same class. The averaging branch of ACGNet (Eq. 5)
mixes a snippet with its sources, so a low purity means the graph blurs actions into background or
into other classes (see ``docs/method.md``, "Reading the graph statistics").

:class:`GraphStatistics` accumulates these counts over many graphs (one per video) and reports
them as a dictionary; :meth:`GraphStatistics.update` takes one graph at a time, so a whole dataset
never has to be held in memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch import Tensor

__all__ = ["GraphStatistics"]

#: Upper edges of the ``|i - j|`` histogram bins (the last bin is open): ``[1, 2), [2, 5), ...``.
DISTANCE_BINS = (1, 2, 5, 10, 20, 50, 100, 200, 500)


@dataclass
class GraphStatistics:
    """Running counts over graphs of one setting; :meth:`summary` turns them into shares.

    Attributes:
        class_names: names of the label ids ``0..C-1`` (for the per-class rows); optional.
    """

    class_names: Optional[Sequence[str]] = None
    graphs: int = 0
    nodes: int = 0
    edges: int = 0
    isolated: int = 0
    max_in_degree: int = 0
    distance_sum: float = 0.0
    distance_hist: List[int] = field(default_factory=lambda: [0] * (len(DISTANCE_BINS) + 1))
    labelled_graphs: int = 0
    labelled_edges: int = 0
    same_label_edges: int = 0
    action_nodes: int = 0
    edges_into_action: int = 0
    same_class_into_action: int = 0
    into_class: Dict[int, int] = field(default_factory=dict)
    same_into_class: Dict[int, int] = field(default_factory=dict)

    def update(self, edge_index: Tensor, num_nodes: int, labels: Optional[Tensor] = None) -> None:
        """Add one graph.

        Args:
            edge_index: ``[2, E]`` long, node ids in ``[0, num_nodes)`` (source row 0, target row 1).
            num_nodes: ``T``, the number of snippets of the graph.
            labels: ``[T]`` long snippet labels (``-1`` = background), or ``None``.
        """
        if edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"edge_index must have shape [2, E], got {tuple(edge_index.shape)}")
        if num_nodes < 0:
            raise ValueError(f"num_nodes must be >= 0, got {num_nodes}")
        ei = edge_index.detach().to("cpu", torch.long)
        if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= num_nodes):
            raise ValueError(f"edge_index holds node ids outside [0, {num_nodes})")
        src, dst = ei[0], ei[1]
        num_edges = int(src.numel())
        self.graphs += 1
        self.nodes += num_nodes
        self.edges += num_edges
        deg = torch.bincount(dst, minlength=num_nodes)
        self.isolated += int((deg == 0).sum())
        if num_nodes:
            self.max_in_degree = max(self.max_in_degree, int(deg.max()))
        dist = (dst - src).abs()
        self.distance_sum += float(dist.sum())
        bins = torch.bucketize(dist, torch.tensor(DISTANCE_BINS), right=True)
        for b, n in enumerate(torch.bincount(bins, minlength=len(DISTANCE_BINS) + 1).tolist()):
            self.distance_hist[b] += int(n)
        if labels is None:
            return
        lab = labels.detach().to("cpu", torch.long).reshape(-1)
        if lab.numel() != num_nodes:
            raise ValueError(f"labels must have {num_nodes} entries (one per snippet), got {lab.numel()}")
        self.labelled_graphs += 1
        self.labelled_edges += num_edges
        self.action_nodes += int((lab >= 0).sum())
        ls, ld = lab[src], lab[dst]
        same = ls == ld
        self.same_label_edges += int(same.sum())
        into_action = ld >= 0
        self.edges_into_action += int(into_action.sum())
        self.same_class_into_action += int((same & into_action).sum())
        for c, n in zip(*torch.unique(ld[into_action], return_counts=True)):
            self.into_class[int(c)] = self.into_class.get(int(c), 0) + int(n)
        for c, n in zip(*torch.unique(ld[into_action & same], return_counts=True)):
            self.same_into_class[int(c)] = self.same_into_class.get(int(c), 0) + int(n)

    def _class_name(self, c: int) -> str:
        names = self.class_names
        return str(names[c]) if names is not None and 0 <= c < len(names) else str(c)

    def summary(self) -> Dict[str, Any]:
        """The statistics as a JSON-ready dictionary (shares in ``[0, 1]``; ``None`` where undefined)."""

        def share(num: float, den: float) -> Optional[float]:
            return num / den if den else None

        edges_hist = {}
        lower = 0
        for upper, n in zip(list(DISTANCE_BINS) + [None], self.distance_hist):
            edges_hist[f"[{lower},{upper})" if upper is not None else f">={lower}"] = n
            lower = upper if upper is not None else lower
        out: Dict[str, Any] = {
            "graphs": self.graphs,
            "snippets": self.nodes,
            "edges": self.edges,
            "mean_in_degree": share(self.edges, self.nodes),
            "max_in_degree": self.max_in_degree,
            "isolated_fraction": share(self.isolated, self.nodes),
            "mean_edge_distance": share(self.distance_sum, self.edges),
            "edge_distance_histogram": edges_hist,
        }
        if self.labelled_graphs:
            out.update({
                "labelled_graphs": self.labelled_graphs,
                "action_snippet_fraction": share(self.action_nodes, self.nodes),
                "same_label_edge_fraction": share(self.same_label_edges, self.labelled_edges),
                "action_purity": share(self.same_class_into_action, self.edges_into_action),
                "per_class": {
                    self._class_name(c): {
                        "edges_into": self.into_class[c],
                        "purity": share(self.same_into_class.get(c, 0), self.into_class[c]),
                    }
                    for c in sorted(self.into_class)
                },
            })
        return out
