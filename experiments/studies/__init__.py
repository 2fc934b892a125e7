"""The paper's studies on the synthetic benchmark, cell by cell, resumable (``experiments/reproduce.py``).

One module per concern:

* :mod:`.grids`: the cells of each study (config, overrides, seed) and the folders;
* :mod:`.cells`: one cell: its overrides, whether its run folder is current, training it, its result record;
* :mod:`.runner`: running the missing or stale cells of a grid (bounded chunks, shards);
* :mod:`.summary`: mean ± std over seeds per row, the validation-only choice of ``table2-tuning``;
* :mod:`.report`: the Markdown page of a study; :mod:`.plots`: the PNG of the sweeps;
* :mod:`.aggregate`: the result files rebuilt from the run folders;
* :mod:`.analyses`: ``graphstats`` (graph statistics and linear probes, no training);
* :mod:`.paper`: the paper's numbers and names; :mod:`.cli`: the command line.
"""
from .aggregate import aggregate
from .analyses import feature_separability, graph_statistics
from .cells import (
    best_validation,
    cell_is_current,
    cell_overrides,
    cell_record,
    loss_magnitudes,
    move_stale,
    proposal_statistics,
    train_cell,
)
from .cli import main
from .grids import CONFIGS, RESULTS, ROOT, RUNS_ROOT, STUDIES, TABLE2_TUNING_AUX, Cell, cells_for
from .plots import plot_sweep
from .report import render_markdown
from .runner import Runner, parse_shard, run_study
from .summary import mean_std, select_by_validation, summarize_rows

__all__ = [
    "CONFIGS", "RESULTS", "ROOT", "RUNS_ROOT", "STUDIES", "TABLE2_TUNING_AUX", "Cell", "cells_for",
    "best_validation", "cell_is_current", "cell_overrides", "cell_record", "loss_magnitudes", "move_stale",
    "proposal_statistics", "train_cell", "Runner", "run_study", "parse_shard", "mean_std", "summarize_rows",
    "select_by_validation", "render_markdown", "plot_sweep", "aggregate", "graph_statistics",
    "feature_separability", "main",
]
