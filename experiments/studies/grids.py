"""The studies' grids: which config, overrides and training seed each cell of a study trains."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "experiments" / "configs"
RESULTS = ROOT / "experiments" / "results"
RUNS_ROOT = ROOT / "runs" / "reproduce"  # default folder of the run folders (``--runs-root``)

# table2-tuning: the head-specific auxiliary loss weight swept next to dropout and weight decay
TABLE2_TUNING_AUX = {"basnet": ("norm_weight", (1e-4, 1e-5, 0.0)), "bam": ("um_weight", (5e-4, 5e-5))}
STUDIES = ("table1", "table2", "table2-tuning", "table3", "table4", "lambda", "epm", "incompleteness", "protocol",
           "causes")

#: The protocol study (docs/protocol.md): the data/optimisation variants, each with its own baseline cell,
#: as overrides of the synthetic-small configs (P0 = today's protocol: T = 100, lr 1e-3 x 300 iterations).
PROTOCOL_BASES = {
    "P0": [],
    "T300": ["data.num_segments=300"],
    "lr1e-4": ["optim.lr=1e-4", "optim.iterations=3000", "train.eval_every=500", "train.checkpoint_every=500"],
    "T300+lr1e-4": ["data.num_segments=300", "optim.lr=1e-4", "optim.iterations=3000", "train.eval_every=500",
                    "train.checkpoint_every=500"],
    # a controlled experiment, no graph: the baseline on 2.2 F, the mean norm ratio of ACGNet's output to its
    # input at initialisation under paper-r1 (16.5 -> 36.1-36.8, both heads), so that the scale of the sum
    # fusion (Eq. 7) is the only difference from the lr1e-4 baseline
    "lr1e-4+2.2F": ["optim.lr=1e-4", "optim.iterations=3000", "train.eval_every=500", "train.checkpoint_every=500",
                    "data.feature_scale=2.2"],
}
#: ACGNet reduced to graph averaging (F + ÂF, Eq. 5, 7: no GCN, no EPM), and the same averaging over K arbitrary
#: distant snippets (the temporal term alone, Gt: the similarity removed)
AVERAGING_ONLY = ("model.acgnet.use_gcn=false", "model.acgnet.epm_weight=0.0")
AVERAGING_OVER_GT_ONLY = ("model.acgnet.graph=temporal_only", *AVERAGING_ONLY)

#: ACGNet cells: (name, base, K, Z). One factor at a time from P0 (K = 10, Z = 10), the up-sampled
#: protocol with K and Z scaled to keep their meaning in snippets, and the paper's values mapped to the
#: benchmark (rule 1 of docs/protocol.md) at r = 3 and r = 1 positions per snippet.
PROTOCOL_ACGNET = (
    ("z1", "P0", 10, 1), ("z3", "P0", 10, 3), ("z5", "P0", 10, 5), ("z10", "P0", 10, 10),
    ("k7", "P0", 7, 10),
    ("k16", "P0", 16, 10),  # the paper's absolute K: K = 50 positions are ~16 distinct snippets
    ("T300", "T300", 30, 30),
    ("lr1e-4", "lr1e-4", 10, 10),
    ("paper-r3", "T300+lr1e-4", 21, 10),
    ("paper-r1", "lr1e-4", 7, 3),
    # rule 3's tie-break for K: 7 % of the distinct snippets (P*) vs the paper's absolute ~16, on validation
    ("paper-r1-k16", "lr1e-4", 16, 3),
    # controlled experiments on P* (docs/protocol.md): ACGNet without the EPM loss, and graph averaging alone
    # (no GCN, no EPM), each against the same baseline
    ("paper-r1-noepm", "lr1e-4", 7, 3, ("model.acgnet.epm_weight=0.0",)),
    ("paper-r1-avg", "lr1e-4", 7, 3, AVERAGING_ONLY),
)

#: The benchmark variant whose snippets of one action instance share one draw of the hardness (docs/protocol.md)
INSTANCE_HARDNESS = "data.synthetic_options.difficulty_scope=instance"


def _g3_vs_g1_rows(head: str) -> Tuple[Tuple[Any, ...], ...]:
    """Causes rows for Table 3's G3 < G1 in ``head``: the temporal term (G3 = Gs + Gt against G1 = Gs) removes a
    snippet's edges to its neighbours. The benchmark draws a snippet's hardness (occlusion share and mask) per
    snippet, so a neighbour is occluded in other dimensions and completes it as well as a distant snippet does.
    With the hardness drawn once per instance (a variant of the benchmark), only snippets of other instances can.
    G1 on the benchmark, and the baseline, G3 and G1 on the variant."""
    g1, variant = "model.acgnet.graph=similarity", f"{head}[instance hardness]"
    return ((f"{head}+G1", head, True, (g1,), head),
            (variant, head, False, (INSTANCE_HARDNESS,), None),
            (f"{head}+acgnet[instance hardness]", head, True, (INSTANCE_HARDNESS,), variant),
            (f"{head}+G1[instance hardness]", head, True, (INSTANCE_HARDNESS, g1), variant))


def _g3_vs_g1_contrasts(head: str, label: str) -> Tuple[Tuple[str, Tuple[str, ...], Tuple[str, ...]], ...]:
    """G3 − G1 on the benchmark and on the instance-hardness variant, and their interaction."""
    g3, g1, g3i, g1i = (f"{head}+acgnet", f"{head}+G1", f"{head}+acgnet[instance hardness]",
                        f"{head}+G1[instance hardness]")
    return ((f"{label}: G3 − G1, the temporal term (hardness per snippet)", (g3,), (g1,)),
            (f"{label}: G3 − G1 (hardness per instance)", (g3i,), (g1i,)),
            (f"{label}: G3 − G1, hardness per instance minus per snippet (interaction)", (g3i, g1), (g1i, g3)))


#: The controlled experiments of docs/protocol.md ("Causes"; run as ``causes@paper-r1``): each row removes one
#: candidate cause of a contradiction with the paper and is paired with the row it is compared against
#: (same seeds). (row, head, + ACGNet, overrides, paired against)
CAUSES = (
    ("dgam", "dgam", False, (), None),
    ("dgam+acgnet", "dgam", True, (), "dgam"),
    # ACGNet without the EPM loss (Eq. 8): full minus this row is what EPM adds
    ("dgam+acgnet[no EPM]", "dgam", True, ("model.acgnet.epm_weight=0.0",), "dgam"),
    # graph averaging alone (F + ÂF, Eq. 5, 7: no GCN, no EPM)
    ("dgam+avg", "dgam", True, AVERAGING_ONLY, "dgam"),
    # the same averaging over K arbitrary distant snippets (Gt only: the similarity term removed)
    ("dgam+avg[Gt only]", "dgam", True, AVERAGING_OVER_GT_ONLY, "dgam"),
    # the baseline on 2 F: |F + ÂF| / |F| = 1.95-1.97 on the trained DGAM + ACGNet models, so the feature
    # scale is the only difference from the baseline
    ("dgam[2F]", "dgam", False, ("data.feature_scale=2.0",), "dgam"),
    # BaS-Net: the GCN branch decays to ~0 in training (|F_gcn| / |F| < 0.08), so ACGNet acts as averaging
    ("basnet", "basnet", False, (), None),
    ("basnet+acgnet", "basnet", True, (), "basnet"),
    ("basnet+avg", "basnet", True, AVERAGING_ONLY, "basnet"),
    ("basnet+avg[Gt only]", "basnet", True, AVERAGING_OVER_GT_ONLY, "basnet"),
    # 2.2 = |F'| / |F| of ACGNet at initialisation under P* (the protocol grid's lr1e-4+2.2F baseline)
    ("basnet[2.2F]", "basnet", False, ("data.feature_scale=2.2",), "basnet"),
    ("bam", "bam", False, (), None),
    ("bam+acgnet", "bam", True, (), "bam"),
    # BaM without its feature-magnitude loss (um_weight = 0, the L_um term of BaMHead), with and without ACGNet
    ("bam[um=0]", "bam", False, ("model.head_config.um_weight=0.0",), None),
    ("bam+acgnet[um=0]", "bam", True, ("model.head_config.um_weight=0.0",), "bam[um=0]"),
    # Table 3's G3 < G1 (docs/protocol.md): BaS-Net, then DGAM (its rows added after BaS-Net's had run)
    *_g3_vs_g1_rows("basnet"),
    *_g3_vs_g1_rows("dgam"),
)

#: Protocols a study runs under (``--study table1@paper-r1``; no suffix: the configs as they are, P0).
#: ``paper-r1`` is P* of docs/protocol.md (rule 2's fallback, chosen by the measured cost of rule 1's cells):
#: the paper's learning rate 1e-4 with 10x the iterations for BaS-Net and BaM (DGAM's released optimisation
#: is already lr 1e-3 and is kept), and the paper's graph values mapped to snippets, K = 7 and Z = 3.
#: ``base`` goes to every cell of the head, ``acgnet`` to its + ACGNet cells, both before the cell's own
#: overrides, which win (the K of a Table 3 row, the lambda of a lambda row).
PROTOCOL_K = {"paper-r1": 7}  # the protocol's K (the paper's K = 50); the lambda sweep's top-K
_PAPER_R1_GRAPH = [f"model.acgnet.k={PROTOCOL_K['paper-r1']}", "model.acgnet.z=3"]
PROTOCOLS: Dict[str, Dict[str, Dict[str, List[str]]]] = {
    "paper-r1": {
        "base": {"basnet": PROTOCOL_BASES["lr1e-4"], "bam": PROTOCOL_BASES["lr1e-4"], "dgam": []},
        "acgnet": {head: _PAPER_R1_GRAPH for head in ("basnet", "bam", "dgam")},
    },
}
#: The K grid of Table 3 under a protocol: the paper's K values mapped to the
#: benchmark the way rule 1 of docs/protocol.md maps K = 50. The paper's K in {1, 5, 20, 50, 200, 750} positions
#: of T = 750 (~3 positions per snippet, median 235 snippets) are 0.14, 0.7, 2.8, 7.1, 28 and 100 % of a video's
#: distinct snippets, so K in {1, 1, 3, 7, 28, 100} of T = 100 (1 stands for the paper's 1 and 5).
#: {K here: the paper's K it stands for}.
PROTOCOL_GRAPH_K: Dict[str, Dict[int, Tuple[int, ...]]] = {
    "paper-r1": {1: (1, 5), 3: (20,), 7: (50,), 28: (200,), 100: (750,)},
}

#: Contrasts of the causes page beyond each row's own control: (what it measures, rows added, rows subtracted),
#: the per-seed difference of the two sums over the seeds every row has (paired-t interval). Two rows a - b;
#: four rows: an interaction (a - b) - (c - d) written as (a + d) - (b + c).
CAUSES_CONTRASTS = (
    ("DGAM: the EPM loss (Eq. 8)", ("dgam+acgnet",), ("dgam+acgnet[no EPM]",)),
    ("DGAM: the GCN branch on top of averaging (both without EPM)", ("dgam+acgnet[no EPM]",), ("dgam+avg",)),
    ("DGAM: averaging beyond its feature scale", ("dgam+avg",), ("dgam[2F]",)),
    ("DGAM: the similarity in the averaging graph", ("dgam+avg",), ("dgam+avg[Gt only]",)),
    ("BaS-Net: averaging beyond its feature scale", ("basnet+avg",), ("basnet[2.2F]",)),
    ("BaS-Net: the GCN branch + EPM on top of averaging", ("basnet+acgnet",), ("basnet+avg",)),
    *_g3_vs_g1_contrasts("basnet", "BaS-Net"),
    *_g3_vs_g1_contrasts("dgam", "DGAM"),
    ("G3 − G1: DGAM minus BaS-Net (hardness per snippet)", ("dgam+acgnet", "basnet+G1"),
     ("dgam+G1", "basnet+acgnet")),
    ("BaM: L_um removed, the baseline", ("bam[um=0]",), ("bam",)),
    ("BaM: ACGNet's effect with L_um minus without (interaction)", ("bam+acgnet", "bam[um=0]"),
     ("bam", "bam+acgnet[um=0]")),
)


def check_study(name: str) -> str:
    """``name`` if it is a study, optionally ``@protocol``; else ``ValueError`` naming the choices."""
    kind, _, protocol = name.partition("@")
    if kind not in STUDIES:
        raise ValueError(f"unknown study {kind!r} (choose from {', '.join(STUDIES)})")
    if protocol and protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r} in {name!r} (choose from {', '.join(PROTOCOLS)})")
    if protocol and kind == "protocol":
        raise ValueError("the protocol study defines its own protocols; run it without @")
    return name


@dataclass
class Cell:
    """One training run of a study: ``config`` + ``overrides`` + ``seed``; ``row`` groups seeds."""

    study: str
    name: str            # run folder name (unique within the study)
    row: str             # aggregation key (cells differing only by seed share it)
    config: str          # path relative to experiments/configs
    overrides: List[str] = field(default_factory=list)
    seed: int = 0
    info: Dict[str, Any] = field(default_factory=dict)  # study-specific labels (K, graph, lambda, ...)


def _prefix(preset: str) -> str:
    if preset == "small":
        return "synthetic-small"
    if preset == "full":
        return "synthetic"
    raise ValueError(f"--preset: expected small or full, got {preset!r}")


def _cfg(prefix: str, head: str, acg: bool) -> str:
    return f"{prefix}_{head}{'_acgnet' if acg else ''}.yaml"


def _num_segments(config: str) -> int:
    from tal_pyg.config import load_config

    return int(load_config(str(CONFIGS / config)).data.num_segments)


def _basnet_baseline(study: str, prefix: str, seeds: int, info: Dict[str, Any]) -> List[Cell]:
    """BaS-Net without ACGNet, the row every sweep row is paired with (reused from Table 1 where it ran)."""
    return [Cell(study, f"baseline_s{s}", "baseline", _cfg(prefix, "basnet", False), [], s,
                 {**info, "baseline": True}) for s in range(seeds)]


def cells_for(study: str, seeds: int = 1, preset: str = "small", *, graph_k: Optional[int] = None,
              table3_k: Optional[Sequence[int]] = None) -> List[Cell]:
    """The grid of ``study`` (``seeds`` training seeds per row; ablations default to 1); ``study@protocol``:
    the same grid under one of :data:`PROTOCOLS`, with the K values of :data:`PROTOCOL_GRAPH_K`.

    ``graph_k``: the top-K of the lambda sweep and of Table 3's Gt-only row (default: 10 % of T);
    ``table3_k``: Table 3's K grid (default: 1, 5, 10 % of T, 20 and T)."""
    kind, _, protocol = check_study(study).partition("@")
    if protocol:
        spec = PROTOCOLS[protocol]
        ks = PROTOCOL_GRAPH_K.get(protocol, {})
        out = []
        for c in cells_for(kind, seeds, preset, graph_k=PROTOCOL_K.get(protocol), table3_k=sorted(ks) or None):
            head = c.config.removesuffix(".yaml").removesuffix("_acgnet").rsplit("_", 1)[-1]
            acg = c.config.removesuffix(".yaml").endswith("_acgnet")
            pre = [*spec["base"][head], *(spec["acgnet"][head] if acg else [])]
            info = {**c.info, "protocol": protocol}
            if kind == "table3" and c.info.get("k") in ks:
                info["paper_k"] = list(ks[c.info["k"]])
            out.append(Cell(study, c.name, c.row, c.config, [*pre, *c.overrides], c.seed, info))
        return out
    p = _prefix(preset)
    out: List[Cell] = []
    if study == "epm":
        for w in (0.0, 0.1, 1.0, 10.0):
            for s in range(seeds):
                out.append(Cell(study, f"epm{w:g}_s{s}", f"epm_weight={w:g}", _cfg(p, "basnet", True),
                                [f"model.acgnet.epm_weight={w}"], s, {"epm_weight": w}))
    elif study in ("table1", "table2"):
        if study == "table2":
            p = "synthetic-anet-small" if preset == "small" else "synthetic-anet"
        heads = ("basnet", "bam", "dgam") if study == "table1" else ("dgam", "basnet", "bam")
        for head in heads:
            for acg in (False, True):
                key = f"{head}{'_acgnet' if acg else ''}"
                for s in range(seeds):
                    out.append(Cell(study, f"{key}_s{s}", key, _cfg(p, head, acg), [], s,
                                    {"head": head, "acgnet": acg}))
    elif study == "table2-tuning":
        # BaS-Net and BaM learn nothing on the 100-class preset with the THUMOS values (dropout 0.7 on 128
        # hidden channels, coupled weight decay, the foreground-norm / feature-magnitude weights): sweep them
        # on the baseline's validation split; the chosen values go into synthetic-anet-small_<head>.yaml, which
        # the +ACGNet configs inherit. Every cell sets all swept keys, so the grid does not depend on them.
        p = "synthetic-anet-small" if preset == "small" else "synthetic-anet"
        for head, (aux, aux_values) in TABLE2_TUNING_AUX.items():
            for dropout in (0.7, 0.5, 0.0):
                for wd in (5e-4, 0.0):
                    for a in aux_values:
                        key = f"{head}: dropout={dropout:g}, weight_decay={wd:g}, {aux}={a:g}"
                        for s in range(seeds):
                            out.append(Cell(study, f"{head}_d{dropout:g}_wd{wd:g}_{aux}{a:g}_s{s}", key,
                                            _cfg(p, head, False),
                                            [f"model.head_config.dropout={dropout}", f"optim.weight_decay={wd}",
                                             f"model.head_config.{aux}={a}"], s,
                                            {"head": head, "dropout": dropout, "weight_decay": wd, aux: a}))
    elif study == "table3":
        cfg = _cfg(p, "basnet", True)
        T = _num_segments(cfg)
        out += _basnet_baseline(study, p, seeds, {"graph": None, "k": None, "T": T})
        ks = list(table3_k) if table3_k else sorted({1, 5, max(1, T // 10), 20, T})
        for graph in ("similarity", "similarity_minus_temporal", "full"):
            for k in ks:
                for s in range(seeds):
                    out.append(Cell(study, f"{graph}_k{k}_s{s}", f"{graph}/k={k}", cfg,
                                    [f"model.acgnet.graph={graph}", f"model.acgnet.k={k}"], s,
                                    {"graph": graph, "k": k, "dense": k == T, "T": T}))
        k = graph_k or max(1, T // 10)
        for s in range(seeds):
            out.append(Cell(study, f"temporal_only_k{k}_s{s}", f"temporal_only/k={k}", cfg,
                            ["model.acgnet.graph=temporal_only", f"model.acgnet.k={k}"], s,
                            {"graph": "temporal_only", "k": k, "dense": False, "T": T}))
    elif study == "table4":
        base, acg = _cfg(p, "basnet", False), _cfg(p, "basnet", True)
        rows = [  # (key, config, overrides, flags I3D AVG GCN EPM fusion)
            ("i3d", base, [], (1, 0, 0, 0, "")),
            ("i3d+avg(sum)", acg, list(AVERAGING_ONLY), (1, 1, 0, 0, "sum")),
            ("i3d+avg(concat)", acg, [*AVERAGING_ONLY, "model.acgnet.fusion=concat"], (1, 1, 0, 0, "concat")),
            ("i3d+gcn(sum,no-epm)", acg, ["model.acgnet.use_avg=false", "model.acgnet.epm_weight=0.0"],
             (1, 0, 1, 0, "sum")),
            ("i3d+gcn+epm(sum)", acg, ["model.acgnet.use_avg=false"], (1, 0, 1, 1, "sum")),
            ("i3d+avg+gcn(sum,no-epm)", acg, ["model.acgnet.epm_weight=0.0"], (1, 1, 1, 0, "sum")),
            ("i3d+avg+gcn+epm(sum)", acg, [], (1, 1, 1, 1, "sum")),
            ("i3d+avg+gcn+epm(concat)", acg, ["model.acgnet.fusion=concat"], (1, 1, 1, 1, "concat")),
        ]
        for key, cfg, ov, flags in rows:
            for s in range(seeds):
                folder = key.replace('+', '_').replace('(', '_').replace(')', '').replace(',', '_')
                out.append(Cell(study, f"{folder}_s{s}", key, cfg, list(ov), s, {"flags": list(flags)}))
    elif study == "lambda":
        cfg = _cfg(p, "basnet", True)
        T = _num_segments(cfg)
        out += _basnet_baseline(study, p, seeds, {"lambda": None, "topk": None, "T": T})
        k = graph_k or max(1, T // 10)
        for lam in (0.7, 0.8, 0.85, 0.9, 0.95):
            for topk in (True, False):
                for s in range(seeds):
                    kk = k if topk else T
                    out.append(Cell(study, f"lam{lam:g}_{'topk' if topk else 'nok'}_s{s}",
                                    f"lambda={lam:g}/{'topk' if topk else 'threshold-only'}", cfg,
                                    [f"model.acgnet.threshold={lam}", f"model.acgnet.k={kk}"], s,
                                    {"lambda": lam, "topk": topk, "k": kk, "T": T}))
    elif study == "incompleteness":
        # post-hoc check of the paper's premise (not a calibration step): the calibrated benchmark with the
        # *uncalibrated* spatial-incompleteness knobs (occlusion 50-95 %, 20 % easy snippets), everything else
        # frozen; baseline vs +ACGNet for BaS-Net and DGAM.
        from tal_pyg.datasets import generate_synthetic

        data = RUNS_ROOT / "data" / "thumos-like-small-incomplete-seed0"
        if not (data / "gt.json").is_file():
            generate_synthetic("thumos-like-small", data, seed=0, occlusion=(0.5, 0.95), easy_fraction=0.2)
        for head in ("basnet", "dgam"):
            for acg in (False, True):
                key = f"{head}{'_acgnet' if acg else ''}"
                for s in range(seeds):
                    out.append(Cell(study, f"{key}_s{s}", key, _cfg(p, head, acg), [f"data.root={data}"], s,
                                    {"head": head, "acgnet": acg}))
    elif study == "causes":
        for key, head, acg, ov, against in CAUSES:
            folder = key.replace("+", "_").replace("[", "_").replace("]", "").replace("=", "").replace(" ", "_")
            for s in range(seeds):
                out.append(Cell(study, f"{folder}_s{s}", key, _cfg(p, head, acg), list(ov), s,
                                {"head": head, "acgnet": acg, "against": against}))
    elif study == "protocol":
        for head in ("basnet", "bam"):
            for base, ov in PROTOCOL_BASES.items():
                for s in range(seeds):
                    out.append(Cell(study, f"{head}_{base}_s{s}", f"{head}/{base}/baseline", _cfg(p, head, False),
                                    list(ov), s, {"head": head, "acgnet": False, "base": base}))
            for name, base, k, z, *extra in PROTOCOL_ACGNET:
                for s in range(seeds):
                    out.append(Cell(study, f"{head}_acg_{name}_s{s}", f"{head}/{base}/{name}", _cfg(p, head, True),
                                    [*PROTOCOL_BASES[base], f"model.acgnet.k={k}", f"model.acgnet.z={z}",
                                     *(extra[0] if extra else ())], s,
                                    {"head": head, "acgnet": True, "base": base, "variant": name, "k": k, "z": z}))
    else:
        raise ValueError(f"unknown study {study!r}")
    return out

