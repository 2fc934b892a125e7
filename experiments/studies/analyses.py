"""Analyses without training (``--study graphstats``): statistics of the action complement graph on the
benchmark, and linear probes of the single-snippet separability of F, F + ÂF and ÂF."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

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


def acgnet_branches(x: "Any", out: "Any", edge_index: "Any", edge_weight: "Any", use_avg: bool = True,
                    fusion: str = "sum") -> "Any":
    r"""Split ACGNet's output (Eq. 7) back into its branches: ``(F_avg, F_gcn)``, each ``[N, D]``.

    ``x`` ``[N, D]`` is the input F, ``out`` ``[N, D]`` (sum) or ``[N, k D]`` (concat) the output F', the graph
    ``edge_index`` ``[2, E]`` / ``edge_weight`` ``[E]`` (edge ``j -> i`` weighs :math:`\hat A_{ij}`).
    :math:`F_{avg} = \hat A F` (Eq. 5) is recomputed from the edges; with the sum fusion
    :math:`F_{gcn} = F' - F - F_{avg}` (:math:`- F_{avg}` only when the average branch is used), with
    concat it is the last ``D`` channels.
    """
    import torch

    src, dst = edge_index
    x_avg = torch.zeros_like(x).index_add_(0, dst, x[src] * edge_weight.to(x.dtype)[:, None])
    D = x.shape[-1]
    if fusion == "concat":
        gcn = out[:, -D:] if out.shape[-1] > D * (1 + int(use_avg)) else torch.zeros_like(x)
    else:
        gcn = out - x - (x_avg if use_avg else 0)
    return x_avg, gcn


def acgnet_branch_norms(run_dir: "Any", max_videos: int = 32) -> Optional[Dict[str, Any]]:
    """What a trained ACGNet feeds its head (the run's selected checkpoint, ``best.pt``, else ``last.pt``), on
    the first ``max_videos`` test videos at test-time sampling: see :func:`branch_norms`. ``None`` for a run
    without ACGNet or without a checkpoint."""
    from tal_pyg.training.build import load_model

    from .cells import own_files_of_earlier_versions

    cks = _run_checkpoints(run_dir)
    if not cks:
        return None
    ck = cks[0]
    with own_files_of_earlier_versions():
        model, cfg, _ = load_model(str(ck))
    if not cfg.model.acgnet.enabled:
        return None
    return {"checkpoint": ck.name, **branch_norms(model, cfg, max_videos)}


def acgnet_branch_norms_at_init(head: str, seed: int = 0, protocol: str = "paper-r1",
                                max_videos: int = 32) -> Dict[str, Any]:
    """:func:`branch_norms` of ``synthetic-small_<head>_acgnet.yaml`` under ``protocol`` as initialised by
    ``seed`` (before any training), e.g. ``acgnet_branch_norms_at_init("bam", 0)["gcn_over_F"]``."""
    import torch

    from tal_pyg.config import load_config
    from tal_pyg.training import data as data_mod
    from tal_pyg.training.build import build_model

    from .grids import PROTOCOLS

    spec = PROTOCOLS[protocol]
    cfg = load_config(str(CONFIGS / f"synthetic-small_{head}_acgnet.yaml"),
                      [*spec["base"][head], *spec["acgnet"][head]])
    ds = data_mod.open_split(cfg.data, "test", log=lambda *_: None)
    torch.manual_seed(seed)
    model = build_model(cfg, ds.num_features, ds.num_classes).eval()
    return branch_norms(model, cfg, max_videos, dataset=ds)


def branch_norms(model: "Any", cfg: "Any", max_videos: int = 32, dataset: "Any" = None) -> Dict[str, Any]:
    """Run ``model`` (a ``WithACGNet``) on the first ``max_videos`` test videos of ``cfg``'s dataset at test-time
    sampling: the mean per-snippet L2 norm of F, of the average branch ÂF (Eq. 5), of the GCN branch F_gcn
    (Eq. 6) and of F' (Eq. 7), and the share of snippets whose GCN output is exactly zero (every ReLU of the
    last layer off). Streams are pooled. ``dataset``: the test split, when the caller has it open already."""
    import torch

    from tal_pyg.datasets import DenseBatch
    from tal_pyg.training import data as data_mod

    ds = dataset if dataset is not None else data_mod.open_split(cfg.data, "test", log=lambda *_: None)
    tf = data_mod.eval_transform(cfg.data, cfg.model.head)
    datas = [tf(ds[i]) if tf is not None else ds[i] for i in range(min(max_videos, len(ds)))]
    batch = DenseBatch.from_data_list(datas)
    with torch.no_grad():
        o = model(batch.x, batch.mask)
    keep = batch.mask.reshape(-1)
    sums = {"F": 0.0, "F_avg": 0.0, "F_gcn": 0.0, "F_out": 0.0, "gcn_zero": 0.0}
    count = 0
    for s, acg in enumerate(model.acgnets):
        x = o[f"acgnet_input_{s}"].reshape(-1, acg.in_channels)
        out = o[f"acgnet_output_{s}"].reshape(x.shape[0], -1)
        x_avg, gcn = acgnet_branches(x, out, o[f"acgnet_edge_index_{s}"], o[f"acgnet_edge_weight_{s}"],
                                     acg.use_avg, acg.fusion)
        for key, t in (("F", x), ("F_avg", x_avg), ("F_gcn", gcn), ("F_out", out)):
            sums[key] += float(t[keep].norm(dim=-1).sum())
        sums["gcn_zero"] += float((gcn[keep].abs().amax(dim=-1) == 0).sum()) if acg.use_gcn else 0.0
        count += int(keep.sum())
    res = {k: v / count for k, v in sums.items()}
    gcn = bool(model.acgnets[0].use_gcn)
    return {"videos": len(datas), "norm_F": res["F"], "norm_F_avg": res["F_avg"],
            "norm_F_gcn": res["F_gcn"] if gcn else None, "norm_F_out": res["F_out"],
            "gcn_over_F": res["F_gcn"] / res["F"] if gcn else None,
            "gcn_zero_fraction": res["gcn_zero"] if gcn else None}


def cached_acgnet_branch_norms(run_dir: "Any") -> Optional[Dict[str, Any]]:
    """:func:`acgnet_branch_norms`, computed once per finished run and kept in its ``acgnet_branches.json``
    (rewritten when the checkpoint is newer)."""
    import json
    from pathlib import Path

    from tal_pyg.utils.io import atomic_write_json

    path = Path(run_dir) / "acgnet_branches.json"
    cks = _run_checkpoints(run_dir)
    if not cks:
        return None
    if path.is_file() and path.stat().st_mtime >= max(p.stat().st_mtime for p in cks):
        return json.loads(path.read_text()).get("norms")
    norms = acgnet_branch_norms(run_dir)
    atomic_write_json(path, {"norms": norms})
    return norms


def _run_checkpoints(run_dir: "Any") -> "List[Any]":
    """A run folder's checkpoints that exist, the selected one first: ``best.pt``, ``last.pt``."""
    from pathlib import Path

    folder = Path(run_dir) / "checkpoints"
    return [p for p in (folder / "best.pt", folder / "last.pt") if p.is_file()]
