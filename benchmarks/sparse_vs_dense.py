"""ACGNet on CPU: fused sparse aggregation vs dense ``bmm`` vs gather-scatter, graph construction.

    python benchmarks/sparse_vs_dense.py            # full run (several minutes)
    python benchmarks/sparse_vs_dense.py --quick    # under a minute, smaller sizes (..._quick.json)
    python benchmarks/sparse_vs_dense.py --device cuda --sections paper,construction   # on a GPU
    python benchmarks/sparse_vs_dense.py --tiny     # seconds: the device check's dry run

On CUDA every timing synchronises the device before reading the clock and peak memory is
``torch.cuda.max_memory_allocated`` growth.

Measured (wall clock, median of ``--repeats`` runs after one warm-up, ``torch.get_num_threads()``
threads; peak memory = growth of the process's peak RSS during one call, via
``/proc/self/clear_refs`` + ``VmHWM``, with glibc's mmap threshold pinned so freed buffers are
returned to the OS):

1. Paper setting (B=16, T=750, D=2048, K=50, lambda=0.85): the aggregation ``A_hat X`` forward and
   forward+backward for

   * ``dense_bmm``: ``torch.bmm`` with the dense ``[B, T, T]`` A_hat (the obvious implementation);
   * ``gather_scatter``: PyG ``MessagePassing`` default path (``x_j * w`` then scatter-sum, an
     ``E x D`` message tensor); skipped when its estimated memory exceeds half the free memory;
   * ``edge_index``: PyG ``EdgeIndex.matmul`` (fused, sorted by target);
   * ``fused_csr``: :class:`tal_pyg.nn.GraphAggregation` default (torch CSR, ``sum`` reduction
     kernel both ways, cached transpose), adjacency built from ``edge_index`` inside the timing;
   * ``sparse_tensor``: ``torch_sparse.matmul`` on a ``SparseTensor`` (only when importable);

   and the whole ACGNet (Eq. 5-7, M=2) with dense ``bmm`` vs :class:`tal_pyg.nn.ACGNet`.
2. Graph construction (:func:`tal_pyg.graph.build_action_complement_graph`) against the bare
   cosine-similarity matmul it contains (``F.normalize`` + ``bmm``).
3. Sweep of K (density K/T, lambda = -inf so exactly K edges per row) and of T (K=50, about
   12,000 nodes per batch): dense vs fused forward time and peak memory; the crossover density
   where dense ``bmm`` becomes faster.
4. Long video: T=50,000 snippets in one graph (row-blocked), peak memory and time.

Features are synthetic, I3D-like: non-negative, 10 "scenes" per video with per-snippet noise, so
that rows have more than K candidates above lambda (the graph is K-limited: E = B*T*K).
Prints a table and writes ``benchmarks/results/sparse_vs_dense.json``.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Callable, Dict, List, Optional

if "MALLOC_MMAP_THRESHOLD_" not in os.environ and __name__ == "__main__":
    # Pin glibc's mmap threshold so that freed large buffers go back to the OS and the peak-RSS
    # measurements of later cases are not hidden by memory kept from earlier ones. Unless
    # --no-thp is given, also let torch's CPU allocator use transparent huge pages for large
    # tensors (THP_MEM_ALLOC_ENABLE=1): a fresh 100 MB output otherwise costs ~35 ms of page faults,
    # as much as the whole fused aggregation (it applies to every path alike).
    os.environ["MALLOC_MMAP_THRESHOLD_"] = "131072"
    if "--no-thp" not in sys.argv:
        os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import torch  # noqa: E402
import torch_geometric  # noqa: E402
from torch import Tensor  # noqa: E402
from torch_geometric import EdgeIndex  # noqa: E402
from torch_geometric.nn.conv import MessagePassing  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tal_pyg.graph import build_action_complement_graph  # noqa: E402
from tal_pyg.nn import HAS_TORCH_SPARSE, ACGNet, GraphAggregation, sparse_adjacency  # noqa: E402
from tal_pyg.nn.graph_aggregation import transposed_csr  # noqa: E402
from tal_pyg.utils.io import atomic_write_json  # noqa: E402

warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
warnings.filterwarnings("ignore", message=".*Sparse invariant checks.*")

MB = 1024.0 * 1024.0
DEVICE = torch.device("cpu")  # set by --device


def _sync() -> None:
    if DEVICE.type == "cuda":
        torch.cuda.synchronize(DEVICE)


# --------------------------------------------------------------------------- measurement helpers
def _status_kb(field: str) -> Optional[int]:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"{field}:\s+(\d+) kB", text)
    return int(match.group(1)) if match else None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory_mb(fn: Callable[[], object]) -> Optional[float]:
    """Growth of the process's peak RSS (MiB) while ``fn()`` runs (CUDA: of the peak allocated
    device memory); ``None`` if not measurable."""
    gc.collect()
    if DEVICE.type == "cuda":
        _sync()
        torch.cuda.reset_peak_memory_stats(DEVICE)
        before = torch.cuda.memory_allocated(DEVICE)
        result = fn()
        _sync()
        del result
        return max(0.0, (torch.cuda.max_memory_allocated(DEVICE) - before) / MB)
    before = _status_kb("VmRSS")
    if before is None or not _reset_peak():
        return None
    result = fn()
    del result
    peak = _status_kb("VmHWM")
    return None if peak is None else max(0.0, (peak - before) / 1024.0)


def time_it(fn: Callable[[], object], repeats: int, warmup: int = 1) -> Dict[str, float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync()
        start = time.perf_counter()
        fn()
        _sync()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times)}


def free_memory_mb() -> float:
    if DEVICE.type == "cuda":
        return torch.cuda.mem_get_info(DEVICE)[0] / MB
    try:
        text = Path("/proc/meminfo").read_text()
        return int(re.search(r"MemAvailable:\s+(\d+) kB", text).group(1)) / 1024.0
    except (OSError, AttributeError):
        return float("inf")


# --------------------------------------------------------------------------- inputs
def make_features(b: int, t: int, d: int, seed: int) -> Tensor:
    """I3D-like features: ReLU(scene centre + per-snippet noise), 10 scenes per video."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(b, 10, d, generator=gen)
    scene = torch.randint(0, 10, (b, t), generator=gen)
    noise_level = 0.2 + 0.6 * torch.rand(b, t, 1, generator=gen)
    x = torch.gather(centres, 1, scene.unsqueeze(-1).expand(b, t, d))
    x = x + noise_level * torch.randn(b, t, d, generator=gen)
    return torch.relu_(x).to(DEVICE)


def dense_adjacency(edge_index: Tensor, edge_weight: Tensor, b: int, t: int) -> Tensor:
    """``[B, T, T]`` A_hat (row = target) from the batched edge list."""
    dense = torch.zeros(b * t * t, device=edge_weight.device)
    src, dst = edge_index
    video = dst // t
    dense.index_put_((video * t * t + (dst % t) * t + (src % t),), edge_weight, accumulate=True)
    return dense.view(b, t, t)


class GatherScatter(MessagePassing):
    """PyG's default message passing: ``x_j * w`` ([E, D]) then scatter-sum (the slow baseline)."""

    def __init__(self) -> None:
        super().__init__(aggr="sum")

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor) -> Tensor:
        return self.propagate(edge_index, x=x, edge_weight=edge_weight)

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:
        return edge_weight.view(-1, 1) * x_j


class EdgeIndexAggregation(MessagePassing):
    """PyG's fused path over a target-sorted ``EdgeIndex`` (``EdgeIndex.matmul``)."""

    SUPPORTS_FUSED_EDGE_INDEX = True

    def __init__(self) -> None:
        super().__init__(aggr="sum")

    def forward(self, x: Tensor, edge_index: EdgeIndex, edge_weight: Tensor) -> Tensor:
        return self.propagate(edge_index, x=x, edge_weight=edge_weight)

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:  # pragma: no cover
        return edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, edge_index: EdgeIndex, x: Tensor, edge_weight: Tensor) -> Tensor:
        return edge_index.matmul(x, edge_weight, transpose=True)


def _nbytes(*tensors: Tensor) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def aggregators(edge_index: Tensor, edge_weight: Tensor, b: int, t: int, which: List[str]) -> Dict[str, dict]:
    """name -> {"fn": f(x [B*T, D]) = A_hat x, "prepare": rebuilds the graph structure from the edge
    list (what a new batch costs, incl. what the backward pass needs), "structure_mb"}. The
    structure used by ``fn`` is prepared once, outside the timings."""
    n = b * t
    out: Dict[str, dict] = {}
    if "dense_bmm" in which:
        dense = dense_adjacency(edge_index, edge_weight, b, t)
        out["dense_bmm"] = {
            "fn": lambda x: torch.bmm(dense, x.view(b, t, -1)).view(n, -1),
            "prepare": lambda: dense_adjacency(edge_index, edge_weight, b, t),
            "structure_mb": _nbytes(dense) / MB,
        }
    if "gather_scatter" in which:
        layer = GatherScatter()
        out["gather_scatter"] = {
            "fn": lambda x: layer(x, edge_index, edge_weight),
            "prepare": lambda: None,
            "structure_mb": _nbytes(edge_index, edge_weight) / MB,
        }
    if "edge_index" in which:
        def prepare_edge_index() -> EdgeIndex:
            ei = EdgeIndex(edge_index, sparse_size=(n, n), sort_order="col")
            ei.get_csc(), ei.get_csr()  # forward and backward structures (cached in the object)
            return ei

        ei = prepare_edge_index()
        layer_ei = EdgeIndexAggregation()
        out["edge_index"] = {
            "fn": lambda x: layer_ei(x, ei, edge_weight),
            "prepare": prepare_edge_index,
            "structure_mb": _nbytes(edge_index, edge_weight) / MB * 2,
        }
    if "fused_csr" in which:
        def prepare_csr() -> Tensor:
            adj = sparse_adjacency(edge_index, edge_weight, n, backend="torch_csr")
            transposed_csr(adj)  # built lazily by the first backward pass, cached on adj
            return adj

        adj = prepare_csr()
        layer_csr = GraphAggregation("torch_csr")
        out["fused_csr"] = {
            "fn": lambda x: layer_csr(x, adj),
            "prepare": prepare_csr,
            "structure_mb": 2 * _nbytes(adj.crow_indices(), adj.col_indices(), adj.values()) / MB,
        }
    if "sparse_tensor" in which and HAS_TORCH_SPARSE:
        import torch_sparse

        def prepare_sparse_tensor():
            adj_st = sparse_adjacency(edge_index, edge_weight, n, backend="torch_sparse")
            adj_st.storage.colptr(), adj_st.storage.csr2csc()  # used by its backward pass
            return adj_st

        adj_st = prepare_sparse_tensor()
        out["sparse_tensor"] = {
            "fn": lambda x: torch_sparse.matmul(adj_st, x, reduce="sum"),
            "prepare": prepare_sparse_tensor,
            "structure_mb": 2 * _nbytes(edge_index, edge_weight) / MB,
        }
    return out


def forward_backward(fn: Callable[[Tensor], Tensor], x: Tensor, grad: Tensor) -> Callable[[], None]:
    def run() -> None:
        xg = x.detach().requires_grad_()
        fn(xg).backward(grad)

    return run


def dense_acgnet(model: ACGNet, dense: Tensor, x: Tensor) -> Tensor:
    """Eq. 5-7 with dense bmm: F + A F + ReLU(A ReLU(A F W1) W2), x: [B, T, D]."""
    f_avg = torch.bmm(dense, x)
    h = f_avg
    for m, lin in enumerate(model.weights):
        if m > 0:
            h = torch.bmm(dense, h)
        h = torch.relu(lin(h))
    return x + f_avg + h


# --------------------------------------------------------------------------- sections
def paper_setting(args, cfg) -> dict:
    b, t, d, k = cfg["B"], cfg["T"], cfg["D"], cfg["K"]
    x3 = make_features(b, t, d, seed=0)
    edge_index, edge_weight = build_action_complement_graph(x3, k=k)
    n, e = b * t, edge_index.size(1)
    x = x3.reshape(n, d)
    grad = torch.randn(n, d, generator=torch.Generator().manual_seed(1)).to(DEVICE)
    methods = ["dense_bmm", "gather_scatter", "edge_index", "fused_csr", "sparse_tensor"]
    gs_estimate_mb = 3 * e * d * 4 / MB
    if gs_estimate_mb > 0.5 * free_memory_mb():
        methods.remove("gather_scatter")
    fns = aggregators(edge_index, edge_weight, b, t, methods)
    result = {"B": b, "T": t, "D": d, "K": k, "threshold": 0.85, "edges": e,
              "mean_in_degree": e / n, "aggregation": {}, "acgnet": {}}
    if "gather_scatter" not in methods:
        result["aggregation"]["gather_scatter"] = {"skipped": f"needs ~{gs_estimate_mb:.0f} MiB"}
    reference = fns["dense_bmm"]["fn"](x)
    for name, entry in fns.items():
        fn = entry["fn"]
        err = float((fn(x) - reference).abs().max())
        fwd = time_it(lambda: fn(x), args.repeats)
        fb = time_it(forward_backward(fn, x, grad), args.repeats)
        result["aggregation"][name] = {
            "forward_s": fwd["median_s"], "forward_min_s": fwd["min_s"],
            "forward_backward_s": fb["median_s"], "forward_backward_min_s": fb["min_s"],
            "prepare_graph_s": time_it(entry["prepare"], args.repeats)["median_s"],
            "graph_structure_mb": entry["structure_mb"],
            "peak_mb_forward": peak_memory_mb(lambda: fn(x)),
            "peak_mb_forward_backward": peak_memory_mb(forward_backward(fn, x, grad)),
            "max_abs_diff_vs_dense": err,
        }
        print(f"  aggregation {name:15s} fwd {fwd['median_s']:.3f} s   fwd+bwd {fb['median_s']:.3f} s", flush=True)

    # whole ACGNet (M = 2), same weights for both paths
    torch.manual_seed(0)
    model = ACGNet(d, k=k).to(DEVICE)
    dense = dense_adjacency(edge_index, edge_weight, b, t)
    paths = {
        "dense_bmm": lambda inp: dense_acgnet(model, dense, inp.view(b, t, d)).view(n, d),
        "fused_csr": lambda inp: model(inp, edge_index, edge_weight),
    }
    with torch.no_grad():
        err = float((paths["fused_csr"](x) - paths["dense_bmm"](x)).abs().max())
    for name, fn in paths.items():
        fwd = time_it(lambda: fn(x), args.repeats)
        fb = time_it(forward_backward(fn, x, grad), args.repeats)
        result["acgnet"][name] = {
            "forward_s": fwd["median_s"], "forward_backward_s": fb["median_s"],
            "peak_mb_forward_backward": peak_memory_mb(forward_backward(fn, x, grad)),
        }
        print(f"  ACGNet      {name:15s} fwd {fwd['median_s']:.3f} s   fwd+bwd {fb['median_s']:.3f} s", flush=True)
    result["acgnet"]["max_abs_diff_fused_vs_dense"] = err
    # graph included: what a host framework pays per batch
    fd = time_it(lambda: model.forward_batch(x3), args.repeats)
    result["acgnet"]["forward_dense_with_graph_s"] = fd["median_s"]
    agg = result["aggregation"]
    result["speedup_fused_vs_dense_forward"] = agg["dense_bmm"]["forward_s"] / agg["fused_csr"]["forward_s"]
    result["speedup_fused_vs_dense_forward_backward"] = (
        agg["dense_bmm"]["forward_backward_s"] / agg["fused_csr"]["forward_backward_s"]
    )
    return result


def construction(args, cfg) -> dict:
    b, t, d, k = cfg["B"], cfg["T"], cfg["D"], cfg["K"]
    x = make_features(b, t, d, seed=2)

    def cosine() -> Tensor:
        xn = torch.nn.functional.normalize(x, dim=-1)
        return torch.bmm(xn, xn.transpose(1, 2))

    def build() -> object:
        return build_action_complement_graph(x, k=k)

    def build_row_blocked() -> object:
        return build_action_complement_graph(x, k=k, block_size=128)

    def build_module_path() -> object:  # how ACGNet builds it: no host reads but the edge count
        return build_action_complement_graph(x, k=k, check_values=False)

    cosine(), build(), build_module_path()
    cases = [("cosine", cosine), ("build", build), ("build_module_path", build_module_path)]
    if not args.quick:
        cases.append(("build_row_blocked", build_row_blocked))
    times: Dict[str, List[float]] = {name: [] for name, _ in cases}
    for _ in range(max(args.repeats, 3)):  # interleaved, so load changes hit all cases alike
        for name, fn in cases:
            _sync()
            start = time.perf_counter()
            fn()
            _sync()
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(v) for name, v in times.items()}
    result = {
        "B": b, "T": t, "D": d, "K": k,
        "cosine_matmul_s": med["cosine"], "build_s": med["build"],
        "build_module_path_s": med["build_module_path"],
        "ratio_module_path_over_cosine": med["build_module_path"] / med["cosine"],
        "build_row_blocked_128_s": med.get("build_row_blocked"),
        "ratio_build_over_cosine": med["build"] / med["cosine"],
        "ratio_min_build_over_min_cosine": min(times["build"]) / min(times["cosine"]),
        "peak_mb_cosine": peak_memory_mb(cosine),
        "peak_mb_build": peak_memory_mb(build),
        "peak_mb_build_row_blocked_128": None if args.quick else peak_memory_mb(build_row_blocked),
    }
    print(f"  construction: build {med['build']:.3f} s (module path {med['build_module_path']:.3f} s), "
          f"cosine matmul {med['cosine']:.3f} s, ratio {result['ratio_build_over_cosine']:.2f}", flush=True)
    return result


def sweep_k(args, cfg) -> List[dict]:
    b, t, d = cfg["B"], cfg["T"], cfg["D"]
    x3 = make_features(b, t, d, seed=3)
    x = x3.reshape(b * t, d)
    rows = []
    for k in cfg["K_values"]:
        edge_index, edge_weight = build_action_complement_graph(x3, k=k, threshold=float("-inf"))
        fns = aggregators(edge_index, edge_weight, b, t, ["dense_bmm", "fused_csr"])
        row = {"K": k, "T": t, "B": b, "D": d, "density": k / t, "edges": edge_index.size(1)}
        row.update(sweep_timings(fns, x, args.repeats))
        rows.append(row)
        print(f"  K={k:5d} density {k / t:.3f}: dense {row['dense_bmm_forward_s']:.3f} s, "
              f"fused {row['fused_csr_forward_s']:.3f} s", flush=True)
    return rows


def sweep_timings(fns: Dict[str, dict], x: Tensor, repeats: int) -> dict:
    """Forward time, peak memory and structure size of each aggregator of a sweep row, and the
    dense / fused speed-up."""
    row = {}
    for name, entry in fns.items():
        fn = entry["fn"]
        row[f"{name}_forward_s"] = time_it(lambda: fn(x), repeats)["median_s"]
        row[f"{name}_peak_mb"] = peak_memory_mb(lambda: fn(x))
        row[f"{name}_graph_structure_mb"] = entry["structure_mb"]
    row["speedup_fused"] = row["dense_bmm_forward_s"] / row["fused_csr_forward_s"]
    return row


def sweep_t(args, cfg) -> List[dict]:
    d, k = cfg["D"], cfg["K"]
    rows = []
    for t in cfg["T_values"]:
        b = max(1, round(cfg["nodes"] / t))
        x3 = make_features(b, t, d, seed=4)
        x = x3.reshape(b * t, d)
        start = time.perf_counter()
        edge_index, edge_weight = build_action_complement_graph(x3, k=k)
        build_s = time.perf_counter() - start
        xn = torch.nn.functional.normalize(x3, dim=-1)
        start = time.perf_counter()
        torch.bmm(xn, xn.transpose(1, 2))
        cosine_s = time.perf_counter() - start
        fns = aggregators(edge_index, edge_weight, b, t, ["dense_bmm", "fused_csr"])
        row = {"T": t, "B": b, "D": d, "K": k, "edges": edge_index.size(1), "build_s": build_s,
               "cosine_matmul_s": cosine_s}
        row.update(sweep_timings(fns, x, args.repeats))
        rows.append(row)
        print(f"  T={t:5d} (B={b}): dense {row['dense_bmm_forward_s']:.3f} s "
              f"(A_hat {row['dense_bmm_graph_structure_mb']:.1f} MiB), fused {row['fused_csr_forward_s']:.3f} s "
              f"(A_hat {row['fused_csr_graph_structure_mb']:.1f} MiB)", flush=True)
        del fns, x3, x, xn
        gc.collect()
    return rows


def crossover(rows: List[dict]) -> Optional[float]:
    """Smallest density where dense bmm is at least as fast as the fused kernel (linear interp.)."""
    prev = None
    for row in rows:
        ratio = row["speedup_fused"]
        if ratio <= 1.0:
            if prev is None:
                return row["density"]
            # interpolate log(speedup) = 0 between prev and row
            import math

            a, b = math.log(prev["speedup_fused"]), math.log(ratio)
            w = a / (a - b) if a != b else 0.0
            return prev["density"] + w * (row["density"] - prev["density"])
        prev = row
    return None


def long_video(args, cfg) -> dict:
    t, d, k = cfg["T_long"], cfg["D_long"], cfg["K"]
    x = make_features(1, t, d, seed=5)[0]
    gc.collect()
    rss_with_input = _status_kb("VmRSS")
    start = time.perf_counter()
    holder = {}

    def build() -> None:
        holder["graph"] = build_action_complement_graph(x, k=k)

    peak = peak_memory_mb(build)
    seconds = time.perf_counter() - start
    edge_index, _ = holder["graph"]
    process_peak = _status_kb("VmHWM")
    result = {
        "T": t, "D": d, "K": k, "edges": edge_index.size(1), "seconds": seconds,
        "peak_mb_during_build": peak,
        "input_mb": x.numel() * 4 / MB,
        "rss_before_build_mb": None if rss_with_input is None else rss_with_input / 1024.0,
        "process_peak_rss_mb": None if process_peak is None else process_peak / 1024.0,
        "dense_t_by_t_would_need_mb": t * t * 4 / MB,
    }
    print(f"  long video T={t} D={d}: {seconds:.1f} s, peak +{peak} MiB over the "
          f"{result['rss_before_build_mb']:.0f} MiB already resident", flush=True)
    return result


# --------------------------------------------------------------------------- main
def config(quick: bool, tiny: bool = False) -> dict:
    if tiny:
        return {
            "paper": {"B": 2, "T": 60, "D": 32, "K": 5},
            "construction": {"B": 2, "T": 60, "D": 32, "K": 5},
            "k_sweep": {"B": 2, "T": 60, "D": 32, "K_values": [1, 5, 60]},
            "t_sweep": {"D": 32, "K": 5, "nodes": 240, "T_values": [30, 120]},
            "long": {"T_long": 2_000, "D_long": 16, "K": 5},
        }
    if quick:
        return {
            "paper": {"B": 4, "T": 750, "D": 512, "K": 50},
            "construction": {"B": 16, "T": 750, "D": 2048, "K": 50},
            "k_sweep": {"B": 4, "T": 750, "D": 512, "K_values": [1, 20, 50, 200, 750]},
            "t_sweep": {"D": 512, "K": 50, "nodes": 3000, "T_values": [100, 750, 3000]},
            "long": {"T_long": 20_000, "D_long": 64, "K": 50},
        }
    return {
        "paper": {"B": 16, "T": 750, "D": 2048, "K": 50},
        "construction": {"B": 16, "T": 750, "D": 2048, "K": 50},
        "k_sweep": {"B": 16, "T": 750, "D": 2048,
                    "K_values": [1, 5, 20, 50, 100, 200, 375, 750]},
        "t_sweep": {"D": 2048, "K": 50, "nodes": 12_000,
                    "T_values": [100, 250, 500, 750, 1000, 2500, 5000]},
        "long": {"T_long": 50_000, "D_long": 2048, "K": 50},
    }


def print_table(res: dict) -> None:
    print()
    p = res["paper_setting"]
    if p is not None:
        _print_paper(res, p)
    c = res["construction"]
    if c is not None:
        print(f"Graph construction {c['build_s']:.3f} s vs cosine matmul {c['cosine_matmul_s']:.3f} s "
              f"(ratio {c['ratio_build_over_cosine']:.2f}); row-blocked(128): {c['build_row_blocked_128_s']} s")
    if res["k_sweep"]:
        print(f"Crossover density (dense bmm as fast as fused): {res['crossover_density']}")
    lv = res["long_video"] or {}
    if lv:
        print(f"Long video T={lv['T']} D={lv['D']}: {lv['seconds']:.1f} s, peak +{lv['peak_mb_during_build']:.0f} MiB "
              f"(process peak {lv['process_peak_rss_mb']:.0f} MiB; dense T x T would be "
              f"{lv['dense_t_by_t_would_need_mb']:.0f} MiB)")
    for name, ok in res["targets"].items():
        print(f"  target {name}: {'met' if ok else 'NOT met'}")


def _print_paper(res: dict, p: dict) -> None:
    print(f"Paper setting B={p['B']} T={p['T']} D={p['D']} K={p['K']} (E={p['edges']}), "
          f"{res['machine']['threads']} threads, load average at start {res['machine']['load_average_start']}")
    head = ("path", "forward (s)", "fwd+bwd (s)", "prepare graph (s)", "A_hat storage (MiB)", "peak fwd+bwd (MiB)")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("-" * (len(h) + 2) for h in head) + "|")
    for name, r in p["aggregation"].items():
        if "skipped" in r:
            print(f"| agg {name} | skipped: {r['skipped']} | | | | |")
            continue
        print(f"| agg {name} | {r['forward_s']:.3f} | {r['forward_backward_s']:.3f} | {r['prepare_graph_s']:.3f} | "
              f"{r['graph_structure_mb']:.1f} | {r['peak_mb_forward_backward'] or float('nan'):.0f} |")
    for name in ("dense_bmm", "fused_csr"):
        r = p["acgnet"][name]
        print(f"| ACGNet {name} | {r['forward_s']:.3f} | {r['forward_backward_s']:.3f} | | | "
              f"{r['peak_mb_forward_backward'] or float('nan'):.0f} |")
    print(f"ACGNet.forward_batch (graph construction + ACGNet): {p['acgnet']['forward_dense_with_graph_s']:.3f} s; "
          f"fused speed-up over dense bmm: forward {p['speedup_fused_vs_dense_forward']:.2f}x, "
          f"fwd+bwd {p['speedup_fused_vs_dense_forward_backward']:.2f}x")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, seconds (a dry run of the script)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N] (the paper and construction sections)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per case (median)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON path (default benchmarks/results/sparse_vs_dense.json, "
                             "or sparse_vs_dense_quick.json with --quick)")
    parser.add_argument("--no-thp", action="store_true",
                        help="do not set THP_MEM_ALLOC_ENABLE=1 (torch's huge-page allocation)")
    parser.add_argument("--sections", default="paper,construction,k_sweep,t_sweep,long",
                        help="comma-separated subset of paper,construction,k_sweep,t_sweep,long")
    args = parser.parse_args(argv)
    global DEVICE
    DEVICE = torch.device(args.device)
    args.quick = args.quick or args.tiny
    if args.out is None:
        name = "sparse_vs_dense_quick.json" if args.quick else "sparse_vs_dense.json"
        if DEVICE.type != "cpu":
            name = name.replace(".json", f"_{DEVICE.type}.json")
        args.out = REPO / "benchmarks/results" / name
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    cfg = config(args.quick, args.tiny)
    try:
        load_start = os.getloadavg()
    except OSError:
        load_start = None
    started = time.perf_counter()
    res: dict = {
        "mode": "tiny" if args.tiny else ("quick" if args.quick else "full"),
        "device": str(DEVICE),
        "gpu": torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else None,
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "torch_geometric": torch_geometric.__version__,
            "torch_sparse": HAS_TORCH_SPARSE, "load_average_start": load_start,
            "THP_MEM_ALLOC_ENABLE": os.environ.get("THP_MEM_ALLOC_ENABLE"),
            "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_"),
        },
        "config": cfg,
    }
    sections = set(args.sections.split(","))
    unknown = sections - {"paper", "construction", "k_sweep", "t_sweep", "long"}
    if unknown:
        parser.error(f"unknown sections: {sorted(unknown)}")
    res["paper_setting"] = res["construction"] = res["long_video"] = None
    res["k_sweep"], res["t_sweep"], res["crossover_density"] = [], [], None
    targets = res["targets"] = {}
    if "paper" in sections:
        print("paper setting", flush=True)
        res["paper_setting"] = paper_setting(args, cfg["paper"])
        if not args.quick:  # the targets are defined at the paper setting
            targets["aggregation_forward_speedup_ge_3x"] = (
                res["paper_setting"]["speedup_fused_vs_dense_forward"] >= 3.0
            )
    if "construction" in sections:
        print("graph construction", flush=True)
        res["construction"] = construction(args, cfg["construction"])
        targets["construction_le_1.25x_cosine"] = res["construction"]["ratio_build_over_cosine"] <= 1.25
    if "k_sweep" in sections:
        print("K sweep", flush=True)
        res["k_sweep"] = sweep_k(args, cfg["k_sweep"])
        res["crossover_density"] = crossover(res["k_sweep"])
    if "t_sweep" in sections:
        print("T sweep", flush=True)
        res["t_sweep"] = sweep_t(args, cfg["t_sweep"])
    if "long" in sections:
        print("long video", flush=True)
        res["long_video"] = long_video(args, cfg["long"])
        if res["long_video"]["process_peak_rss_mb"] is not None and not args.quick:
            targets["long_video_process_peak_lt_2GiB"] = res["long_video"]["process_peak_rss_mb"] < 2048
    try:
        res["machine"]["load_average_end"] = os.getloadavg()
    except OSError:
        pass
    res["total_seconds"] = time.perf_counter() - started
    atomic_write_json(args.out, res)
    print_table(res)
    print(f"wrote {args.out} in {res['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
