"""experiments/reproduce.py: cell grids, resume, bounded chunks, aggregation (stub runner, no training)."""
import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("reproduce", ROOT / "experiments" / "reproduce.py")
reproduce = importlib.util.module_from_spec(spec)
sys.modules["reproduce"] = reproduce  # dataclasses look their module up
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
    assert {c.info["k"] for c in lam if not c.info["topk"]} == {100}
    with pytest.raises(ValueError):
        reproduce.cells_for("nope")
