"""Rebuilding a study's result files (``<study>.json``, ``<study>.md``, the sweep PNG) from its run folders."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Sequence

from .cells import cell_record
from .grids import Cell
from .plots import plot_sweep
from .report import render_markdown
from .summary import select_by_validation, summarize_rows


def aggregate(study: str, cells: Sequence[Cell], runs_root: Path, results_dir: Path) -> Dict[str, Any]:
    """Rebuild ``<study>.json`` / ``.md`` (and the sweep PNG) from the finished run folders."""
    from tal_pyg.utils.io import atomic_write_json, atomic_write_text

    kind = study.partition("@")[0]  # ``table1@paper-r1``: the table1 page, under another protocol
    records = [r for r in (cell_record(c, Path(runs_root) / study / c.name) for c in cells) if r is not None]
    rows = summarize_rows(records)
    summary = {"study": study, "finished": len(records), "total": len(cells), "records": records,
               "rows": {k: {kk: vv for kk, vv in v.items()} for k, v in rows.items()}}
    results_dir.mkdir(parents=True, exist_ok=True)
    old = results_dir / f"{study}.json"
    notes = json.loads(old.read_text()).get("notes") if old.is_file() else None
    if notes:
        summary["notes"] = notes
    if kind == "table2-tuning":
        summary["selected"] = {head: rows[key]["info"] for head, key in select_by_validation(rows).items()}
    graph_stats = graph_statistics_of_rows(cells, runs_root) if kind in ("protocol", "table3", "lambda") else None
    if graph_stats:
        summary["graph_stats"] = graph_stats
    atomic_write_json(results_dir / f"{study}.json", summary)
    md = render_markdown(study, rows, len(records), len(cells), notes, graph_stats)
    atomic_write_text(results_dir / f"{study}.md", md)
    if kind in ("table3", "lambda") and records:
        try:
            plot_sweep(study, rows, results_dir / f"{study}.png")
        except ImportError:
            pass
    return summary



def graph_statistics_of_rows(cells: Sequence[Cell], runs_root: Path) -> Dict[str, Any]:
    """Graph statistics of every ACGNet row of a study (training split), cached in
    ``<runs_root>/protocol/graph_stats.json`` keyed by the data and graph settings (no training needed)."""
    from tal_pyg.config import load_config
    from tal_pyg.utils.io import atomic_write_json

    from .grids import CONFIGS

    from .analyses import graph_statistics

    path = Path(runs_root) / "protocol" / "graph_stats.json"
    cache = json.loads(path.read_text()) if path.is_file() else {}
    out, changed = {}, False
    for c in cells:
        if c.row in out:
            continue
        cfg = load_config(str(CONFIGS / c.config), overrides=list(c.overrides))
        if not cfg.model.acgnet.enabled:
            continue
        a = cfg.model.acgnet
        key = (f"{cfg.data.dataset} seed={cfg.data.synthetic_seed} T={cfg.data.num_segments} k={a.k} "
               f"lambda={a.threshold} alpha={a.alpha} z={a.z} graph={a.graph}")
        if key not in cache:
            cache[key] = graph_statistics(c.config, "train", c.overrides)
            changed = True
        out[c.row] = cache[key]
    if changed:
        atomic_write_json(path, cache)
    return out
