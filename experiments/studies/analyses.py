"""Analyses without training (``--study graphstats``): statistics of the action complement graph on the
benchmark, and linear probes of the single-snippet separability of F, F + ÂF and ÂF."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from .grids import CONFIGS


def graph_statistics(preset_config: str = "synthetic-small_basnet_acgnet.yaml", split: str = "train",
                     overrides: Sequence[str] = (), max_videos: Optional[int] = None) -> Dict[str, Any]:
    """ACG statistics (:class:`tal_pyg.graph.statistics.GraphStatistics`) of a config's graph settings on its
    dataset, on the sequences the model sees: uniformly sampled to ``data.num_segments`` on the training
    split (the deterministic counterpart of the training sampling), the test-time sampling on the test split.

    Mean in-degree, share of isolated snippets, mean temporal distance ``|i - j|`` of the edges, the share
    of edges joining two steps with the same label (background = one label; step labels by
    :func:`tal_pyg.datasets.snippet_labels.snippet_labels`) and the action purity.
    """
    from tal_pyg.config import load_config
    from tal_pyg.datasets.snippet_labels import snippet_labels
    from tal_pyg.graph import build_action_complement_graph
    from tal_pyg.graph.statistics import GraphStatistics
    from tal_pyg.training import data as data_mod

    cfg = load_config(str(CONFIGS / preset_config), overrides=list(overrides))
    a = cfg.model.acgnet
    ds = data_mod.open_split(cfg.data, split, log=lambda *_: None)
    if split == "train":
        from tal_pyg.transforms import UniformSampling

        tf = UniformSampling(cfg.data.num_segments)
    else:
        tf = data_mod.eval_transform(cfg.data)
    stats = GraphStatistics(class_names=ds.class_names)
    n = len(ds) if max_videos is None else min(max_videos, len(ds))
    for i in range(n):
        d = ds[i]
        d = tf(d) if tf is not None else d
        T = d.x.shape[0]
        ei, _ = build_action_complement_graph(d.x, k=a.k, threshold=a.threshold, alpha=a.alpha, z=a.z,
                                              graph=a.graph)
        stats.update(ei, T, snippet_labels(d.gt_segments, d.gt_labels, T, float(d.snippet_seconds)))
    s = stats.summary()
    return {
        "config": preset_config, "split": split, "videos": n, "T": cfg.data.num_segments,
        "k": a.k, "threshold": a.threshold, "alpha": a.alpha, "z": a.z, "graph": a.graph,
        "mean_in_degree": s["mean_in_degree"], "isolated_fraction": s["isolated_fraction"],
        "mean_edge_distance": s["mean_edge_distance"], "same_label_edge_fraction": s["same_label_edge_fraction"],
        "same_class_fraction_of_edges_into_action": s["action_purity"], "action_purity": s["action_purity"],
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
