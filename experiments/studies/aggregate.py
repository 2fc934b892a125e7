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

    records = [r for r in (cell_record(c, Path(runs_root) / study / c.name) for c in cells) if r is not None]
    rows = summarize_rows(records)
    summary = {"study": study, "finished": len(records), "total": len(cells), "records": records,
               "rows": {k: {kk: vv for kk, vv in v.items()} for k, v in rows.items()}}
    results_dir.mkdir(parents=True, exist_ok=True)
    old = results_dir / f"{study}.json"
    notes = json.loads(old.read_text()).get("notes") if old.is_file() else None
    if notes:
        summary["notes"] = notes
    if study == "table2-tuning":
        summary["selected"] = {head: rows[key]["info"] for head, key in select_by_validation(rows).items()}
    atomic_write_json(results_dir / f"{study}.json", summary)
    md = render_markdown(study, rows, len(records), len(cells), notes)
    atomic_write_text(results_dir / f"{study}.md", md)
    if study in ("table3", "lambda") and records:
        try:
            plot_sweep(study, rows, results_dir / f"{study}.png")
        except ImportError:
            pass
    return summary

