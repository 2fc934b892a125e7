"""experiments/studies (``experiments/reproduce.py``): cell grids, resume, bounded chunks, aggregation (stub
runner, no training)."""
import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STUDIES = ROOT / "experiments" / "studies"
# experiments/ is not an installed package: load experiments/studies as the package ``studies``, the name
# experiments/reproduce.py imports it under
spec = importlib.util.spec_from_file_location("studies", STUDIES / "__init__.py",
                                              submodule_search_locations=[str(STUDIES)])
reproduce = importlib.util.module_from_spec(spec)
sys.modules["studies"] = reproduce  # dataclasses and relative imports look their module up
spec.loader.exec_module(reproduce)

TIOUS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def stub_runner(calls, fail=()):
    def run(cell, out: Path):
        calls.append(cell.name)
        if cell.name in fail:
            raise RuntimeError("boom")
        out.mkdir(parents=True, exist_ok=True)
        base = 10.0 + cell.seed + (5.0 if "acgnet" in cell.row else 0.0)
        mAP = [(base + i) / 100 for i in range(7)]
        (out / "metrics.jsonl").write_text(
            json.dumps({"iteration": 10, "split": "train", "loss/total": 1.5, "loss/epm": 0.5}) + "\n"
            + json.dumps({"iteration": 10, "split": "val", "average_mAP": 0.2}) + "\n"
            + json.dumps({"iteration": 20, "split": "val", "average_mAP": 0.3 + 0.01 * cell.seed}) + "\n")
        (out / "eval.json").write_text(json.dumps({
            "tiou_thresholds": TIOUS, "mAP": mAP, "average_mAP": sum(mAP) / 7, "classification_mAP": 0.9,
            "selected_iteration": 20}))
        return {"cpu_seconds": 1.0}
    return run


def cells(n_seeds=2):
    return [reproduce.Cell("table1", f"{key}_s{s}", key, f"synthetic-small_{key}.yaml", [], s,
                           {"head": "basnet", "acgnet": key.endswith("acgnet")})
            for key in ("basnet", "basnet_acgnet") for s in range(n_seeds)]


def test_run_resume_and_aggregate(tmp_path):
    calls = []
    kw = dict(runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=cells(), log=lambda *_: None)
    s = reproduce.run_study("table1", runner=stub_runner(calls), max_cells=3, **kw)
    assert calls == ["basnet_s0", "basnet_s1", "basnet_acgnet_s0"]
    assert (s["finished"], s["total"]) == (3, 4)
    # resume: finished cells are skipped, only the missing one runs
    s = reproduce.run_study("table1", runner=stub_runner(calls), **kw)
    assert calls[3:] == ["basnet_acgnet_s1"] and s["finished"] == 4
    data = json.loads((tmp_path / "res" / "table1.json").read_text())
    rec = {r["cell"]: r for r in data["records"]}
    assert rec["basnet_s1"]["test_mAP"][4] == pytest.approx(15.0)
    assert rec["basnet_s1"]["val_average_mAP"] == pytest.approx(31.0)  # best validation record
    assert rec["basnet_s0"]["cpu_seconds"] == 1.0
    row = data["rows"]["basnet"]
    assert row["n"] == 2 and row["mAP"][4][0] == pytest.approx(14.5)
    assert row["mAP"][4][1] == pytest.approx(math.sqrt(0.5))  # sample std of 14 and 15
    md = (tmp_path / "res" / "table1.md").read_text()
    assert "| BaS-Net | 2 |" in md and "14.5 ± 0.7" in md
    assert "| Δ (ours) | | +5.0" in md  # +ACGNet row minus baseline row
    # paired over the two seeds: every seed gains exactly 5, so the interval is [5, 5]
    assert "| BaS-Net + ACGNet | 2 | +5.0 [+5.0, +5.0] | +5.0 [+5.0, +5.0] | yes |" in md
    assert "26.8" in md  # the paper's BaS-Net* mAP@0.5 next to ours


def test_failed_cell_is_retried_and_does_not_stop_the_grid(tmp_path):
    calls = []
    kw = dict(runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=cells(1), log=lambda *_: None)
    s = reproduce.run_study("table1", runner=stub_runner(calls, fail={"basnet_s0"}), **kw)
    assert calls == ["basnet_s0", "basnet_acgnet_s0"] and s["finished"] == 1
    s = reproduce.run_study("table1", runner=stub_runner(calls), **kw)
    assert calls[2:] == ["basnet_s0"] and s["finished"] == 2


def test_grids():
    t3 = reproduce.cells_for("table3")
    ks = {c.info["k"] for c in t3}
    assert {1, 5, 10, 100} <= ks  # T = 100: K = T is the dense graph
    assert len({c.name for c in t3}) == len(t3)
    assert any(c.info["graph"] == "temporal_only" for c in t3)
    t1 = reproduce.cells_for("table1", seeds=3)
    assert len(t1) == 3 * 2 * 3 and {c.seed for c in t1} == {0, 1, 2}
    lam = reproduce.cells_for("lambda")
    assert {c.info["k"] for c in lam if c.info["topk"] is False} == {100}
    assert {c.info["k"] for c in lam if c.info["topk"]} == {10}
    # every sweep row is paired with BaS-Net alone, same seeds
    for grid in (t3, lam):
        base = [c for c in grid if c.row == "baseline"]
        assert [c.config for c in base] == ["synthetic-small_basnet.yaml"] and base[0].overrides == []
    with pytest.raises(ValueError):
        reproduce.cells_for("nope")


def writing_config(runner):
    """A stub runner that also saves the resolved config.yaml, as the trainer does."""
    from tal_pyg.config import load_config

    def run(cell, out: Path):
        meta = runner(cell, out)
        cfg = load_config(str(reproduce.CONFIGS / cell.config), reproduce.cell_overrides(cell))
        (out / "config.yaml").write_text(cfg.to_yaml())
        return meta
    return run


def test_stale_cells_are_excluded_and_run_again(tmp_path):
    calls = []
    kw = dict(runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=cells(1), log=lambda *_: None)
    reproduce.run_study("table1", runner=writing_config(stub_runner(calls)), **kw)
    assert calls == ["basnet_s0", "basnet_acgnet_s0"]
    out = tmp_path / "runs" / "table1" / "basnet_s0"
    assert reproduce.cell_is_current(kw["cells"][0], out)
    # runtime-only keys (threads, device, progress bar) do not make a cell stale
    saved = (out / "config.yaml").read_text()
    assert "num_threads: null" in saved
    (out / "config.yaml").write_text(saved.replace("num_threads: null", "num_threads: 1"))
    assert reproduce.cell_is_current(kw["cells"][0], out)
    # the cell ran with another learning rate than its config file gives today: stale
    saved = (out / "config.yaml").read_text()
    (out / "config.yaml").write_text(saved.replace("lr: 0.001", "lr: 0.002"))
    assert "lr: 0.002" in (out / "config.yaml").read_text()
    assert not reproduce.cell_is_current(kw["cells"][0], out)
    s = reproduce.aggregate("table1", kw["cells"], kw["runs_root"], kw["results_dir"])
    assert [r["cell"] for r in s["records"]] == ["basnet_acgnet_s0"]
    s = reproduce.run_study("table1", runner=writing_config(stub_runner(calls)), **kw)
    assert calls[2:] == ["basnet_s0"] and s["finished"] == 2
    assert (out.parent / "basnet_s0.stale-1" / "eval.json").is_file()  # the old run is kept aside
    assert reproduce.cell_is_current(kw["cells"][0], out)


def test_shards_split_the_grid(tmp_path):
    calls = []
    kw = dict(runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=cells(2), log=lambda *_: None)
    reproduce.run_study("table1", runner=stub_runner(calls), shard=(1, 2), **kw)
    assert calls == ["basnet_s1", "basnet_acgnet_s1"]
    reproduce.run_study("table1", runner=stub_runner(calls), shard=(0, 2), **kw)
    assert sorted(calls) == sorted(c.name for c in kw["cells"])
    assert reproduce.parse_shard("1/2") == (1, 2)
    with pytest.raises(SystemExit):
        reproduce.parse_shard("2/2")


def test_table2_tuning_grid_and_validation_selection(tmp_path):
    grid = reproduce.cells_for("table2-tuning")
    assert len({c.name for c in grid}) == len(grid) == 3 * 2 * 3 + 3 * 2 * 2
    for c in grid:  # every cell sets every swept key, so the grid does not depend on the config's values
        keys = {o.split("=")[0] for o in c.overrides}
        aux = reproduce.TABLE2_TUNING_AUX[c.info["head"]][0]
        assert keys == {"model.head_config.dropout", "optim.weight_decay", f"model.head_config.{aux}"}
        assert c.config == f"synthetic-anet-small_{c.info['head']}.yaml"
    chosen = grid[4]  # its validation mAP is the best; another cell has the best test mAP

    def runner(cell, out: Path):
        out.mkdir(parents=True, exist_ok=True)
        val = 0.3 if cell is chosen else 0.1
        test = 0.5 if cell is grid[0] else 0.2
        (out / "metrics.jsonl").write_text(json.dumps({"iteration": 10, "split": "val", "average_mAP": val,
                                                       "classification_mAP": 0.5}) + "\n")
        (out / "eval.json").write_text(json.dumps({"tiou_thresholds": [0.5, 0.75], "mAP": [test, test],
                                                   "average_mAP": test, "classification_mAP": 0.5}))
        return {"cpu_seconds": 1.0}

    s = reproduce.run_study("table2-tuning", runs_root=tmp_path / "runs", results_dir=tmp_path / "res",
                            cells=grid, runner=runner, log=lambda *_: None)
    assert s["selected"]["basnet"]["row"] == chosen.row
    assert s["selected"]["basnet"]["overrides"] == chosen.overrides
    bam_first = next(c for c in grid if c.info["head"] == "bam")
    assert s["selected"]["bam"]["row"] == bam_first.row  # all tie: the first row of the grid
    md = (tmp_path / "res" / "table2-tuning.md").read_text()
    assert md.count("**selected**") == 2


def test_entry_script_lists_a_grid(tmp_path, capsys, monkeypatch):
    """``python experiments/reproduce.py ...`` is a thin entry to the package's command line."""
    import runpy

    monkeypatch.setattr(sys, "argv", ["reproduce.py", "--study", "table1", "--seeds", "1", "--list",
                                      "--runs-root", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "experiments" / "reproduce.py"), run_name="__main__")
    assert exit_info.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "todo  basnet_s0: synthetic-small_basnet.yaml  seed 0" and len(lines) == 6
    assert lines[-1].startswith("todo  dgam_acgnet_s0: synthetic-small_dgam_acgnet.yaml")


def test_protocol_grid_shares_baselines():
    grid = reproduce.cells_for("protocol", seeds=3)
    assert len(grid) == 2 * 3 * (len(reproduce.grids.PROTOCOL_BASES) + len(reproduce.grids.PROTOCOL_ACGNET))
    rows = {c.row for c in grid}
    for c in grid:
        if c.info["acgnet"]:
            base = f"{c.info['head']}/{c.info['base']}/baseline"
            assert base in rows
            # an ACGNet cell differs from its baseline by the graph settings (and an ablation's own keys) only
            base_ov = reproduce.grids.PROTOCOL_BASES[c.info["base"]]
            extra = {v[0]: list(v[4]) if len(v) > 4 else [] for v in reproduce.grids.PROTOCOL_ACGNET}
            n = len(base_ov)
            assert c.overrides[:n] == base_ov
            assert c.overrides[n:n + 2] == [f"model.acgnet.k={c.info['k']}", f"model.acgnet.z={c.info['z']}"]
            assert c.overrides[n + 2:] == extra[c.info["variant"]]
    paper = next(c for c in grid if c.name == "bam_acg_paper-r3_s0")
    assert paper.config == "synthetic-small_bam_acgnet.yaml"
    assert {"data.num_segments=300", "optim.lr=1e-4", "optim.iterations=3000", "model.acgnet.k=21",
            "model.acgnet.z=10"} <= set(paper.overrides)


def test_protocol_report_pairs_with_its_baseline(tmp_path, monkeypatch):
    grid = [c for c in reproduce.cells_for("protocol", seeds=2)
            if c.info["head"] == "basnet" and c.info["base"] == "P0"]

    def runner(cell, out):
        out.mkdir(parents=True, exist_ok=True)
        gain = (10 - cell.info["z"]) * 0.5 if cell.info["acgnet"] else 0.0  # larger Z, smaller gain
        mAP = [(20.0 + 2 * cell.seed + gain + i) / 100 for i in range(7)]
        (out / "metrics.jsonl").write_text(json.dumps({"iteration": 1, "split": "val", "average_mAP": 0.2}) + "\n")
        (out / "eval.json").write_text(json.dumps({"tiou_thresholds": TIOUS, "mAP": mAP, "average_mAP": sum(mAP) / 7,
                                                   "classification_mAP": 0.9, "selected_iteration": 1}))
        return {"cpu_seconds": 1.0}

    purity = {c.row: 0.9 - 0.02 * c.info["z"] for c in grid if c.info["acgnet"]}
    monkeypatch.setattr(sys.modules["studies.aggregate"], "graph_statistics_of_rows",
                        lambda cells, runs_root: {r: {"action_purity": p, "mean_edge_distance": 20.0}
                                                  for r, p in purity.items()})
    reproduce.run_study("protocol", runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=grid,
                        runner=runner, log=lambda *_: None)
    md = (tmp_path / "res" / "protocol.md").read_text()
    assert "| P0 | z1 | 10 | 1 | 2 |" in md and "+4.5 [+4.5, +4.5]" in md  # (10 - 1) * 0.5 on every seed
    assert "| P0 | z10 | 10 | 10 | 2 |" in md and "+0.0 [+0.0, +0.0]" in md
    assert "Pearson r = +1.00 (6 cells)" in md  # z1, z3, z5, z10, k7, k16: gain and purity both linear in Z
    data = json.loads((tmp_path / "res" / "protocol.json").read_text())
    assert set(data["graph_stats"]) == set(purity)


def test_sweep_pages_pair_each_row_with_bas_net_alone_and_g3(tmp_path, monkeypatch):
    def runner(cell, out):
        out.mkdir(parents=True, exist_ok=True)
        i = cell.info
        gain = 0.0 if i.get("baseline") else {"full": 3.0, "similarity": 1.0}.get(i.get("graph"), 2.0)
        gain += 0.5 if i.get("topk") else 0.0
        mAP = [(20.0 + 2 * cell.seed + gain + t) / 100 for t in range(7)]  # seed effect cancels in the pairs
        (out / "metrics.jsonl").write_text(json.dumps({"iteration": 1, "split": "val", "average_mAP": 0.2}) + "\n")
        (out / "eval.json").write_text(json.dumps({"tiou_thresholds": TIOUS, "mAP": mAP, "average_mAP": sum(mAP) / 7,
                                                   "classification_mAP": 0.9, "selected_iteration": 1}))
        return {"cpu_seconds": 1.0}

    purity = {"similarity/k=7": 0.5, "temporal_only/k=7": 0.6, "full/k=7": 0.7}  # gains +1, +2, +3
    monkeypatch.setattr(sys.modules["studies.aggregate"], "graph_statistics_of_rows",
                        lambda cells, runs_root: {k: {"action_purity": v, "mean_in_degree": 7.0,
                                                      "mean_edge_distance": 20.0} for k, v in purity.items()})
    grid = [c for c in reproduce.cells_for("table3@paper-r1", seeds=2)
            if c.row in ("baseline", "full/k=7", "similarity/k=7", "temporal_only/k=7")]
    reproduce.run_study("table3@paper-r1", runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=grid,
                        runner=runner, log=lambda *_: None)
    md = (tmp_path / "res" / "table3@paper-r1.md").read_text()
    assert "| 7 (paper 50) | 26.0 ± 1.4 | 28.0 ± 1.4 |" in md  # mAP@0.5: G1, G3
    assert "| BaS-Net alone | 25.0 ± 1.4 | |" in md
    assert "| G1 = Gs, K = 7 | 2 | +1.0 [+1.0, +1.0] | +2.0 [+2.0, +2.0] |" in md
    assert "| Gt only, K = 7 | 2 | +2.0 [+2.0, +2.0] | +1.0 [+1.0, +1.0] |" in md
    assert "| G3 = Gs + Gt, K = 7 | 2 | +3.0 [+3.0, +3.0] |  |" in md
    assert "Pearson r = +1.00 (3 rows)" in md and "| full/k=7 | 7.00 | – | 20.0 | – | 70.0 % |" in md

    grid = [c for c in reproduce.cells_for("lambda@paper-r1", seeds=2) if c.info["lambda"] in (None, 0.9)]
    reproduce.run_study("lambda@paper-r1", runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=grid,
                        runner=runner, log=lambda *_: None)
    md = (tmp_path / "res" / "lambda@paper-r1.md").read_text()
    assert "| 0.9 | 27.5 ± 1.4 | 27.0 ± 1.4 | 26.5 ± 1.4 | 26.0 ± 1.4 | +0.5 [+0.5, +0.5] | +2.5 [+2.5, +2.5] |" in md


def test_cells_filter_runs_only_matching_cells_and_aggregates_the_grid(tmp_path):
    from studies.cli import select_cells

    grid = cells(n_seeds=2)
    only = select_cells(grid, ["*_acgnet_s*"])
    assert [c.name for c in only] == ["basnet_acgnet_s0", "basnet_acgnet_s1"]
    with pytest.raises(SystemExit, match="no cell of the grid matches"):
        select_cells(grid, ["nothing*"])
    calls = []
    s = reproduce.run_study("table1", runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=grid,
                            runner=stub_runner(calls), only=only, log=lambda *_: None)
    assert calls == ["basnet_acgnet_s0", "basnet_acgnet_s1"] and (s["finished"], s["total"]) == (2, 4)


def test_protocol_suffix_runs_a_grid_under_another_protocol_and_reuses_identical_cells(tmp_path):
    from studies.grids import CONFIGS, PROTOCOL_BASES, PROTOCOLS, check_study

    from tal_pyg.config import load_config

    grid = reproduce.cells_for("table1@paper-r1", seeds=1)
    by = {c.name: c for c in grid}
    spec = PROTOCOLS["paper-r1"]
    assert by["basnet_s0"].overrides == spec["base"]["basnet"]
    assert by["bam_acgnet_s0"].overrides == [*spec["base"]["bam"], *spec["acgnet"]["bam"]]
    assert by["dgam_acgnet_s0"].overrides == spec["acgnet"]["dgam"] and by["dgam_s0"].overrides == []
    # a cell's own overrides come last and win (Table 3 rows set their own K)
    t3 = {c.name: c for c in reproduce.cells_for("table3@paper-r1", seeds=1)}
    assert t3["similarity_k1_s0"].overrides[-1] == "model.acgnet.k=1"
    # the paper's K mapped to snippets as rule 1 maps K = 50 -> 7; the protocol's K is the lambda sweep's top-K
    assert sorted({c.info["k"] for c in t3.values() if c.info["graph"] in ("full", "similarity")}) == [1, 3, 7, 28, 100]
    assert t3["full_k7_s0"].info["paper_k"] == [50] and t3["full_k1_s0"].info["paper_k"] == [1, 5]
    assert "temporal_only_k7_s0" in t3 and t3["baseline_s0"].overrides == spec["base"]["basnet"]
    lam = reproduce.cells_for("lambda@paper-r1", seeds=1)
    assert {c.info["k"] for c in lam if c.info["topk"]} == {7}
    with pytest.raises(ValueError, match="unknown protocol"):
        check_study("table1@nope")
    with pytest.raises(ValueError, match="unknown study"):
        check_study("tableX")

    # the protocol study already trained BaS-Net + ACGNet with exactly this config and seed: reused, not trained
    runs = tmp_path / "runs"
    twin = reproduce.Cell("protocol", "basnet_acg_paper-r1_s0", "basnet/lr1e-4/paper-r1",
                          "synthetic-small_basnet_acgnet.yaml",
                          [*PROTOCOL_BASES["lr1e-4"], "model.acgnet.k=7", "model.acgnet.z=3"], 0,
                          {"head": "basnet", "acgnet": True, "base": "lr1e-4", "variant": "paper-r1"})
    calls = []

    def runner(cell, out):
        out.mkdir(parents=True, exist_ok=True)
        cfg = load_config(str(CONFIGS / cell.config), [*cell.overrides, f"train.seed={cell.seed}"])
        (out / "config.yaml").write_text(cfg.to_yaml())
        return stub_runner(calls)(cell, out)

    reproduce.run_study("protocol", runs_root=runs, results_dir=tmp_path / "res", cells=[twin], runner=runner,
                        log=lambda *_: None)
    wanted = [by["basnet_acgnet_s0"], by["basnet_s0"]]
    s = reproduce.run_study("table1@paper-r1", runs_root=runs, results_dir=tmp_path / "res", cells=grid,
                            runner=runner, only=wanted, log=lambda *_: None)
    assert calls == ["basnet_acg_paper-r1_s0", "basnet_s0"]  # the baseline had no twin: trained
    meta = json.loads((runs / "table1@paper-r1" / "basnet_acgnet_s0" / "cell.json").read_text())
    assert meta["reused_from"] == "protocol/basnet_acg_paper-r1_s0" and meta["name"] == "basnet_acgnet_s0"
    assert s["finished"] == 2 and (tmp_path / "res" / "table1@paper-r1.md").is_file()
    assert "Protocol `paper-r1`" in (tmp_path / "res" / "table1@paper-r1.md").read_text()


def test_causes_grid_pairs_each_experiment_with_its_control():
    grid = reproduce.cells_for("causes@paper-r1", seeds=3)
    rows = {c.row: c for c in grid}
    assert len(grid) == 3 * len(reproduce.grids.CAUSES) and len({c.name for c in grid}) == len(grid)
    for c in grid:
        against = c.info["against"]
        if against is not None:
            ctrl = rows[against]
            assert ctrl.info["head"] == c.info["head"]
            # the pair differs by the one thing the row removes: its own overrides (and ACGNet itself)
            extra = [o for o in c.overrides if o not in ctrl.overrides]
            assert all(o.startswith(("model.acgnet.", "data.feature_scale")) for o in extra), (c.row, extra)
    # under P* BaM trains at lr 1e-4 x 3 000 in every row, DGAM keeps its own optimisation
    assert "optim.lr=1e-4" in rows["bam[um=0]"].overrides and "model.head_config.um_weight=0.0" in \
        rows["bam+acgnet[um=0]"].overrides
    assert not any(o.startswith("optim.") for o in rows["dgam+avg"].overrides)
    assert rows["dgam[2F]"].config == "synthetic-small_dgam.yaml"


def test_causes_report_pairs_rows(tmp_path):
    grid = [c for c in reproduce.cells_for("causes", seeds=2) if c.info["head"] == "dgam"]

    def runner(cell, out):
        out.mkdir(parents=True, exist_ok=True)
        gain = {"dgam": 0.0, "dgam+acgnet": 6.0, "dgam+avg": 5.0}.get(cell.row, 1.0)
        mAP = [(20.0 + 3 * cell.seed + gain + i) / 100 for i in range(7)]
        (out / "metrics.jsonl").write_text(json.dumps({"iteration": 1, "split": "val", "average_mAP": 0.2}) + "\n")
        (out / "eval.json").write_text(json.dumps({"tiou_thresholds": TIOUS, "mAP": mAP, "average_mAP": sum(mAP) / 7,
                                                   "classification_mAP": 0.9, "selected_iteration": 1}))
        return {"cpu_seconds": 1.0}

    reproduce.run_study("causes", runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=grid,
                        runner=runner, log=lambda *_: None)
    md = (tmp_path / "res" / "causes.md").read_text()
    assert "| dgam+acgnet | dgam | 2 |" in md and "+6.0 [+6.0, +6.0]" in md
    assert "| dgam+avg | dgam | 2 |" in md and "+5.0 [+5.0, +5.0]" in md
    assert "| dgam[2F] | dgam | 2 |" in md and "+1.0 [+1.0, +1.0]" in md


def test_acgnet_branches_match_a_dense_reference():
    """F_avg = Â F (Eq. 5) and F_gcn = ReLU(Â ReLU(Â F W1) W2) (Eq. 6), recovered from F' (Eq. 7)."""
    import torch

    from studies.analyses import acgnet_branches

    from tal_pyg.nn import ACGNet

    torch.manual_seed(0)
    x = torch.rand(2, 30, 8)
    for fusion in ("sum", "concat"):
        acg = ACGNet(8, k=4, z=2, fusion=fusion)
        out, ei, ew = acg.forward_batch(x)
        flat, out = x.reshape(60, 8), out.reshape(60, -1)
        a = torch.zeros(60, 60)
        a[ei[1], ei[0]] = ew  # row i: the weights of the edges j -> i
        ref_avg = a @ flat
        w1, w2 = (lin.weight.detach().T for lin in acg.weights)
        ref_gcn = torch.relu(a @ torch.relu(a @ flat @ w1) @ w2)
        x_avg, gcn = acgnet_branches(flat, out.detach(), ei, ew, True, fusion)
        torch.testing.assert_close(x_avg, ref_avg, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(gcn, ref_gcn, rtol=1e-4, atol=1e-4)
    acg = ACGNet(8, k=4, z=2, use_avg=False)
    out, ei, ew = acg.forward_batch(x)
    a = torch.zeros(60, 60)
    a[ei[1], ei[0]] = ew
    w1, w2 = (lin.weight.detach().T for lin in acg.weights)
    flat = x.reshape(60, 8)
    _, gcn = acgnet_branches(flat, out.reshape(60, 8).detach(), ei, ew, False, "sum")
    torch.testing.assert_close(gcn, torch.relu(a @ torch.relu(a @ flat @ w1) @ w2), rtol=1e-4, atol=1e-4)


def test_causes_contrast_is_the_per_seed_difference_of_row_sums():
    from studies.report import contrast

    def row(vals):
        return {"by_seed": {str(s): {"average": v} for s, v in enumerate(vals)}}

    rows = {"a": row([10.0, 12.0, 11.0]), "b": row([8.0, 9.0, 7.0]), "c": row([5.0, 5.0, 6.0, 9.0]),
            "d": row([4.0, 6.0, 4.0])}
    d = contrast(rows, ("a",), ("b",))
    assert d.n == 3 and d.mean == pytest.approx((2 + 3 + 4) / 3)
    # interaction (a - b) - (c - d) = (a + d) - (b + c), over the seeds all four share (seed 3 only in c)
    i = contrast(rows, ("a", "d"), ("b", "c"))
    per_seed = [(10 - 8) - (5 - 4), (12 - 9) - (5 - 6), (11 - 7) - (6 - 4)]
    assert i.n == 3 and i.mean == pytest.approx(sum(per_seed) / 3)
    assert i.low < i.mean < i.high
    assert contrast(rows, ("a",), ("missing",)) is None


def test_a_cell_another_runner_is_training_waits_for_it_and_is_reused(tmp_path):
    """Two study runners at once (two studies, or two shards) never train the same config and seed twice: the
    second defers the cell, waits for the first runner's cell lock, and copies its run."""
    import threading

    from studies.cells import CELL_LOCK
    from studies.grids import CONFIGS, PROTOCOL_BASES

    from tal_pyg.config import load_config
    from tal_pyg.utils.run_lock import RunLock, is_locked

    grid = {c.name: c for c in reproduce.cells_for("table1@paper-r1", seeds=1)}
    twin_cell = reproduce.Cell("protocol", "basnet_acg_paper-r1_s0", "basnet/lr1e-4/paper-r1",
                               "synthetic-small_basnet_acgnet.yaml",
                               [*PROTOCOL_BASES["lr1e-4"], "model.acgnet.k=7", "model.acgnet.z=3"], 0,
                               {"head": "basnet", "acgnet": True, "base": "lr1e-4", "variant": "paper-r1"})
    runs = tmp_path / "runs"
    twin = runs / "protocol" / twin_cell.name
    twin.mkdir(parents=True)
    cfg = load_config(str(CONFIGS / twin_cell.config), [*twin_cell.overrides, "train.seed=0"])
    (twin / "config.yaml").write_text(cfg.to_yaml())
    lock = RunLock(twin, CELL_LOCK).acquire()  # "another runner" is training the twin: no eval.json yet
    assert is_locked(twin, CELL_LOCK)
    calls, logs = [], []

    def finish_twin():  # the other runner finishes once this one has deferred the cell and waits for it
        while not any("waiting for" in line for line in logs):
            threading.Event().wait(0.01)
        stub_runner([])(twin_cell, twin)
        (twin / "cell.json").write_text(json.dumps({"cpu_seconds": 7.0}))
        lock.release()

    thread = threading.Thread(target=finish_twin)
    thread.start()
    wanted = [grid["basnet_acgnet_s0"], grid["basnet_s0"]]
    s = reproduce.run_study("table1@paper-r1", runs_root=runs, results_dir=tmp_path / "res",
                            cells=list(grid.values()), runner=stub_runner(calls), only=wanted,
                            log=logs.append, poll_seconds=0.01)
    thread.join()
    assert calls == ["basnet_s0"]  # the ACGNet cell was not trained a second time
    assert any("is training in" in line and "deferred" in line for line in logs)
    assert any("waiting for" in line for line in logs)
    meta = json.loads((runs / "table1@paper-r1" / "basnet_acgnet_s0" / "cell.json").read_text())
    assert meta["reused_from"] == "protocol/basnet_acg_paper-r1_s0" and meta["cpu_seconds"] == 7.0
    assert not (runs / "table1@paper-r1" / "basnet_acgnet_s0" / CELL_LOCK).exists()
    assert s["finished"] == 2


def test_a_cell_locked_by_another_runner_is_skipped_not_failed(tmp_path):
    from studies.cells import CELL_LOCK

    from tal_pyg.utils.run_lock import RunLock

    runs, calls, logs = tmp_path / "runs", [], []
    with RunLock(runs / "table1" / "basnet_s0", CELL_LOCK):
        s = reproduce.run_study("table1", runs_root=runs, results_dir=tmp_path / "res", cells=cells(1),
                                runner=stub_runner(calls), log=logs.append)
    assert calls == ["basnet_acgnet_s0"] and s["finished"] == 1
    assert any("basnet_s0: another study runner is training it" in line for line in logs)
    assert not any("FAILED" in line for line in logs)
    reproduce.run_study("table1", runs_root=runs, results_dir=tmp_path / "res", cells=cells(1),
                        runner=stub_runner(calls), log=logs.append)
    assert calls[1:] == ["basnet_s0"]  # the lock is gone: the next call trains it


def test_a_trained_cell_keeps_its_lock_until_cell_json_is_written(tmp_path, monkeypatch):
    """A runner waiting on the lock copies the folder once it is released, so cell.json must already be there."""
    import tal_pyg.utils.io as io
    from studies.cells import CELL_LOCK

    from tal_pyg.utils.run_lock import is_locked

    seen, write = [], io.atomic_write_json

    def spy(path, obj, *a, **kw):
        if Path(path).name == "cell.json":
            seen.append(is_locked(Path(path).parent, CELL_LOCK))
        return write(path, obj, *a, **kw)

    monkeypatch.setattr(io, "atomic_write_json", spy)
    reproduce.run_study("table1", runs_root=tmp_path / "runs", results_dir=tmp_path / "res", cells=cells(1),
                        runner=stub_runner([]), log=lambda *_: None)
    assert seen == [True, True]
    assert not is_locked(tmp_path / "runs" / "table1" / "basnet_s0", CELL_LOCK)
