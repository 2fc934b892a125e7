"""Reproduce the paper's studies on the synthetic benchmark, cell by cell, resumable.

    python experiments/reproduce.py --study epm                  # choose epm_weight on the validation split
    python experiments/reproduce.py --study table1 --seeds 3     # 3 heads x (baseline, +ACGNet)
    python experiments/reproduce.py --study table3               # G1/G2/G3 x K, + temporal-only
    python experiments/reproduce.py --study table4               # ACGNet components
    python experiments/reproduce.py --study lambda               # lambda with / without top-K (Figure 4)
    python experiments/reproduce.py --study table2-tuning        # validation sweep of BaS-Net / BaM training values
    python experiments/reproduce.py --study table2 --seeds 6     # anet-like-small (DGAM, BaS-Net, BaM x +-ACGNet)
    python experiments/reproduce.py --study incompleteness       # post-hoc: harder snippets (occlusion 50-95 %)
    python experiments/reproduce.py --study protocol --seeds 3   # BaS-Net/BaM +- ACGNet: Z, K, up-sampling, lr
                                                                 # (docs/protocol.md)
    python experiments/reproduce.py --study table1@paper-r1 --seeds 5   # Table 1 under P* (docs/protocol.md)
    python experiments/reproduce.py --study graphstats           # ACG statistics on the benchmark (no training)
    options: --preset small|full  --max-cells N  --time-budget SECONDS  --shard K/N  --threads N  --list
             --aggregate-only

A *cell* is one config + overrides + training seed; its run folder is
``runs/reproduce/<study>/<cell>/`` (``--runs-root``). Cells whose ``eval.json`` exists are skipped, so the
grid can run in bounded chunks; a finished cell whose saved ``config.yaml`` no longer matches its config file
+ overrides (the config was edited since) is *stale*: it is left out of the results, and the next run moves
it to ``<cell>.stale-N`` and trains it again. A cell that another study under the runs root has already
trained with the same config, overrides and seed (``table1@paper-r1`` repeats cells of ``protocol``) is
copied from there, its ``cell.json`` naming the source. A cell that another ``reproduce.py`` process is
training right now (it holds the cell folder's ``cell.lock``) is not trained a second time: it waits at the
end of the call and is copied once that run ends (or trained, if it failed); a cell of this very study held by
another process is skipped. ``--shard K/N`` runs only the cells ``i`` with ``i % N == K``
(two processes on a 2-core machine); run ``--aggregate-only`` once both are done. Bounded chunks:
``--max-cells`` / ``--time-budget`` (no new cell starts after that many seconds). After every cell
``experiments/results/<study>.json`` (one record per finished cell: config, overrides, seed, test mAP per
tIoU, average and classification mAP, the validation selection metric, the EPM / head loss magnitudes, CPU
seconds) and ``<study>.md`` (mean ± std over seeds in the paper's layout, the paper's numbers next to it, the
number of seeds per row) are rewritten from the run folders, and a PNG for the sweeps (table3, lambda).

``--preset small`` (default) uses the ``synthetic-small_*`` configs (thumos-like-small, D = 256, T = 100,
K = T/10 = 10): the D = 2048 ``synthetic`` preset (``--preset full``) is beyond a 2-core CPU's budget.
Model selection is always on the validation videos carved from the training split (never on test).
"""
from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import List, Optional, Sequence

from .aggregate import aggregate
from .analyses import feature_separability, graph_statistics
from .cells import cell_is_current, train_cell
from .grids import PROTOCOLS, RESULTS, RUNS_ROOT, STUDIES, Cell, cells_for, check_study
from .runner import parse_shard, run_study


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--study", required=True, type=_study, metavar="STUDY[@PROTOCOL]",
                   help=f"one of {', '.join(STUDIES)}, graphstats; @PROTOCOL runs the grid under one of "
                        f"{', '.join(PROTOCOLS)} (docs/protocol.md), e.g. table1@paper-r1")
    p.add_argument("--seeds", type=int, default=None, help="training seeds per row (default: 3 for table1/2, else 1)")
    p.add_argument("--preset", default="small", choices=["small", "full"])
    p.add_argument("--max-cells", type=int, default=None, help="start at most N new cells")
    p.add_argument("--time-budget", type=float, default=None, help="start no new cell after S seconds")
    p.add_argument("--runs-root", default=None, help="run folders (default runs/reproduce)")
    p.add_argument("--results-dir", default=None, help="default experiments/results")
    p.add_argument("--shard", default=None, metavar="K/N", help="run only the cells i with i %% N == K")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads per run (train.num_threads; 1 with two shards on 2 cores); not part of a "
                        "cell's identity, but it changes the floating-point summation order, so a cell run with "
                        "another thread count is not bit-identical")
    p.add_argument("--cells", nargs="+", default=None, metavar="PATTERN",
                   help="only the cells whose name matches one of these shell patterns (e.g. '*_P0_s*'); the "
                        "result files still cover the whole grid")
    p.add_argument("--list", action="store_true", help="print the cells and their state, run nothing")
    p.add_argument("--aggregate-only", action="store_true", help="rewrite the result files, run nothing")
    args = p.parse_args(argv)
    results_dir = Path(args.results_dir) if args.results_dir else RESULTS
    if args.study == "graphstats":
        from tal_pyg.utils.io import atomic_write_json

        stats = {f"{split}": graph_statistics(split=split) for split in ("train", "test")}
        stats["feature_separability"] = feature_separability()
        atomic_write_json(results_dir / "graph_stats.json", stats)
        print(json.dumps(stats, indent=1))
        return 0
    seeds = args.seeds if args.seeds is not None else (3 if args.study.partition("@")[0] in ("table1", "table2") else 1)
    cells = cells_for(args.study, seeds, args.preset)
    runs_root = Path(args.runs_root) if args.runs_root else RUNS_ROOT
    shard = parse_shard(args.shard) if args.shard else None
    selected = select_cells(cells, args.cells)
    if args.list:
        for c in selected:
            out = runs_root / args.study / c.name
            state = "todo" if not (out / "eval.json").is_file() else ("done" if cell_is_current(c, out) else "stale")
            print(f"{state:5s} {c.name}: {c.config} {' '.join(c.overrides)} seed {c.seed}")
        return 0
    if args.aggregate_only:
        s = aggregate(args.study, cells, runs_root, results_dir)
        print(f"{s['finished']}/{s['total']} cells finished")
        return 0
    runner = train_cell
    if args.threads:
        runner = functools.partial(train_cell, runtime=[f"train.num_threads={args.threads}"])
    run_study(args.study, seeds, args.preset, runs_root, results_dir, args.max_cells, args.time_budget,
              runner=runner, cells=cells, shard=shard, only=None if args.cells is None else selected)
    return 0


def _study(name: str) -> str:
    if name == "graphstats":
        return name
    try:
        return check_study(name)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def select_cells(cells: Sequence[Cell], patterns: Optional[Sequence[str]]) -> List[Cell]:
    """The cells whose name matches one of the shell ``patterns`` (all cells for ``None``)."""
    import fnmatch

    if patterns is None:
        return list(cells)
    out = [c for c in cells if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]
    if not out:
        raise SystemExit(f"--cells {' '.join(patterns)}: no cell of the grid matches")
    return out

