"""Analyses without training (``--study graphstats``): statistics of the action complement graph on the
benchmark, and linear probes of the single-snippet separability of F, F + ÂF and ÂF."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from .grids import CONFIGS


def graph_statistics(preset_config: str = "synthetic-small_basnet_acgnet.yaml", split: str = "train",
                     overrides: Sequence[str] = (), max_videos: Optional[int] = None) -> Dict[str, Any]:
    """ACG statistics of a config's graph settings on its dataset, on the sequences the model sees.

    Mean in-degree, share of isolated snippets, mean temporal distance ``|i - j|`` of the edges, and the
    share of edges joining two steps with the same label (background = one label; step labels by
    :func:`tal_pyg.datasets.snippet_labels.snippet_labels`).
    """
    import torch

    from tal_pyg.config import load_config
    from tal_pyg.datasets.snippet_labels import snippet_labels
    from tal_pyg.graph import build_action_complement_graph
    from tal_pyg.training import data as data_mod

    cfg = load_config(str(CONFIGS / preset_config), overrides=list(overrides))
    a = cfg.model.acgnet
    ds = data_mod.open_split(cfg.data, split, log=lambda *_: None)
    tf = data_mod.eval_transform(cfg.data)
    n_nodes = n_edges = n_iso = 0
    dist = same = same_act = act_edges = 0.0
    n = len(ds) if max_videos is None else min(max_videos, len(ds))
    for i in range(n):
        d = ds[i]
        d = tf(d) if tf is not None else d
        T = d.x.shape[0]
        ei, ew = build_action_complement_graph(d.x, k=a.k, threshold=a.threshold, alpha=a.alpha, z=a.z,
                                               graph=a.graph)
        lab = snippet_labels(d.gt_segments, d.gt_labels, T, float(d.snippet_seconds))
        n_nodes += T
        n_edges += ei.shape[1]
        n_iso += int((torch.bincount(ei[1], minlength=T) == 0).sum())
        if ei.shape[1]:
            dist += float((ei[0] - ei[1]).abs().float().sum())
            eq = lab[ei[0]] == lab[ei[1]]
            same += float(eq.sum())
            tgt_act = lab[ei[1]] >= 0
            act_edges += float(tgt_act.sum())
            same_act += float((eq & tgt_act).sum())
    return {
        "config": preset_config, "split": split, "videos": n, "T": cfg.data.num_segments,
        "k": a.k, "threshold": a.threshold, "alpha": a.alpha, "z": a.z, "graph": a.graph,
        "mean_in_degree": n_edges / max(1, n_nodes), "isolated_fraction": n_iso / max(1, n_nodes),
        "mean_edge_distance": dist / max(1, n_edges), "same_label_edge_fraction": same / max(1, n_edges),
        "same_class_fraction_of_edges_into_action": same_act / max(1, act_edges),
    }


def feature_separability(config: str = "synthetic-small_basnet_acgnet.yaml", overrides: Sequence[str] = (),
                         steps: int = 300, seed: int = 0) -> Dict[str, Any]:
    """Supervised linear probes on single steps: original features F vs the AVG branch's F + ÂF and ÂF.

    Trains a logistic-regression probe (full batch, Adam, ``steps`` steps) on the training split's steps
    (each video resampled as at test time) and reports, on the test split, the actionness AUC (action vs
    background) and the (C + 1)-way step accuracy. This measures whether the graph's parameter-free
    averaging makes single snippets more or less separable on this benchmark (an upper bound, not WTAL).
    """
    import torch

    from tal_pyg.config import load_config
    from tal_pyg.datasets.snippet_labels import snippet_labels
    from tal_pyg.graph import build_action_complement_graph
    from tal_pyg.training import data as data_mod

    cfg = load_config(str(CONFIGS / config), overrides=list(overrides))
    a = cfg.model.acgnet
    tf = data_mod.eval_transform(cfg.data)

    def collect(split):
        ds = data_mod.open_split(cfg.data, split, log=lambda *_: None)
        xs, avgs, labs = [], [], []
        for i in range(len(ds)):
            d = ds[i]
            d = tf(d) if tf is not None else d
            T = d.x.shape[0]
            ei, ew = build_action_complement_graph(d.x, k=a.k, threshold=a.threshold, alpha=a.alpha, z=a.z,
                                                   graph=a.graph)
            avg = torch.zeros_like(d.x).index_add_(0, ei[1], d.x[ei[0]] * ew[:, None])
            xs.append(d.x)
            avgs.append(avg)
            labs.append(snippet_labels(d.gt_segments, d.gt_labels, T, float(d.snippet_seconds)))
        return torch.cat(xs), torch.cat(avgs), torch.cat(labs)

    xtr, atr, ytr = collect("train")
    xte, ate, yte = collect("test")
    C = int(max(ytr.max(), yte.max())) + 2

    def probe(ftr, fte):
        g = torch.Generator().manual_seed(seed)
        mu, sd = ftr.mean(0), ftr.std(0) + 1e-6
        ftr, fte = (ftr - mu) / sd, (fte - mu) / sd
        lin = torch.nn.Linear(ftr.shape[1], C)
        with torch.no_grad():
            lin.weight.normal_(0, 0.01, generator=g)
            lin.bias.zero_()
        opt = torch.optim.Adam(lin.parameters(), lr=1e-2, weight_decay=1e-4)
        target = ytr + 1  # 0 = background
        for _ in range(steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(lin(ftr), target).backward()
            opt.step()
        with torch.no_grad():
            prob = lin(fte).softmax(-1)
        acc = float((prob.argmax(-1) == yte + 1).float().mean())
        score = 1 - prob[:, 0]
        pos, neg = score[yte >= 0], score[yte < 0]
        auc = float((pos[:, None] > neg[None, :]).float().mean() + 0.5 * (pos[:, None] == neg[None, :]).float().mean())
        return {"actionness_auc": auc, "step_accuracy": acc}

    return {"config": config, "k": a.k, "threshold": a.threshold, "graph": a.graph,
            "train_steps": int(ytr.numel()), "test_steps": int(yte.numel()),
            "F": probe(xtr, xte), "F+AF (AVG branch, sum)": probe(xtr + atr, xte + ate), "AF": probe(atr, ate)}
