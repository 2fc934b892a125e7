"""benchmarks/device_check.sh --dry-run: every step of the GPU check runs here, at tiny sizes on CPU,
so that the first GPU run does not fail on a typo."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None, reason="needs bash and timeout")
def test_dry_run_runs_every_step(tmp_path):
    # generous limits: this checks that every step works, not how fast (the GPU budget is for the GPU run)
    env = dict(os.environ, OUT=str(tmp_path), PYTHON=sys.executable, DEVICE_CHECK_COLLECT_ONLY="1",
               PYTHONPATH=str(REPO), DEVICE_CHECK_STEP_SCALE="4", DEVICE_CHECK_LIMIT_S="2400")
    proc = subprocess.run(["bash", str(REPO / "benchmarks/device_check.sh"), "--dry-run"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=2700)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = json.loads((tmp_path / "device_check.json").read_text())
    assert summary["dry_run"] and summary["ok"]
    assert [s["step"] for s in summary["steps"]] == [
        "environment", "tests", "sparse_vs_dense", "train_throughput", "data_loading"]
    for name in ("environment", "sparse_vs_dense", "train_throughput", "data_loading"):
        json.loads((tmp_path / f"{name}.json").read_text())  # every result is valid JSON
    rows = json.loads((tmp_path / "train_throughput.json").read_text())["rows"]
    assert {(r["head"], r["acgnet"], r["precision"]) for r in rows} == {
        (h, a, p) for h in ("basnet", "bam", "dgam") for a in (False, True) for p in ("fp32", "bf16")}
    collected = (tmp_path / "tests.log").read_text()
    assert "test_host_sync.py::test_training_step_reads_only_the_edge_counts" in collected  # -m device selects it
