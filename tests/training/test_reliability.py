"""Nothing lost, nothing silent: the run-folder lock, kill -9 at random moments (mid-checkpoint-write and
mid-log-append included) then --resume, torn logs, stale temporary files, a full disk and a read-only folder,
and --resume on a finished run. Real child processes for the lock and the kills (docs/reliability.md)."""
from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from tal_pyg.cli.main import main
from tal_pyg.config import load_config
from tal_pyg.training import Trainer, load_checkpoint
from tal_pyg.utils.run_lock import RunLock, RunLockedError, is_locked

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("_child_run.py")
TIMING = ("train_seconds_this_session", "test_seconds")


@pytest.fixture(scope="module")
def setup(tiny_features, tmp_path_factory):
    """The tiny config (one thread, as the children) and the reference: an uninterrupted run."""
    from tests.conftest import make_tiny_config

    root = tmp_path_factory.mktemp("reliability")
    cfg = make_tiny_config(tiny_features, train={"eval_every": 3, "checkpoint_every": 2, "log_every": 1,
                                                 "progress": False, "num_threads": 1})
    path = root / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    ref = root / "reference"
    metrics = Trainer(load_config(path), ref, log=lambda s: None).fit()
    return {"root": root, "config": path, "reference": ref, "metrics": metrics}


def child(setup, out, mode):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(CHILD), str(setup["config"]), str(out), mode], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def resume(setup, out):
    logs = []
    metrics = Trainer(load_config(setup["config"]), out, resume=True, log=logs.append).fit()
    return metrics, logs


def assert_same_as_reference(setup, out, metrics):
    ref = setup["reference"]
    strip = lambda m: {k: v for k, v in m.items() if k not in TIMING}  # noqa: E731
    assert strip(metrics) == strip(setup["metrics"])
    a, b = load_checkpoint(ref / "checkpoints/last.pt"), load_checkpoint(out / "checkpoints/last.pt")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    lines = lambda p: [strip(json.loads(x)) for x in (p / "metrics.jsonl").read_text().splitlines()]  # noqa: E731
    assert lines(out) == lines(ref)
    assert (out / "predictions.json").read_text() == (ref / "predictions.json").read_text()
    assert not list(out.rglob(".*.tmp"))


def test_second_run_on_a_locked_folder_stops_and_a_killed_run_resumes(setup, tmp_path):
    """Process A pauses in the middle of a checkpoint write (holding the folder); a second `tal-pyg train`
    on the folder stops at once naming the folder and A's pid; kill -9 A; --resume removes A's temporary
    checkpoint file and ends exactly as the uninterrupted run."""
    out = tmp_path / "run"
    a = child(setup, out, "hold-mid-checkpoint")
    try:
        assert a.stdout.readline().strip() == "started"
        assert a.stdout.readline().strip() == "paused", a.stderr.read()
        assert len(list((out / "checkpoints").glob(".last.pt.*.tmp"))) == 1
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        b = subprocess.run([sys.executable, "-m", "tal_pyg", "train", "--config", str(setup["config"]),
                            "--out", str(out), "--resume"], env=env, capture_output=True, text=True, timeout=120)
        assert b.returncode == 2
        assert b.stderr.splitlines() == [f"tal-pyg train: error: {out} is in use by another tal-pyg run "
                                         f"(pid {a.pid}): wait for it to end, or choose another --out"]
        with pytest.raises(RunLockedError, match=f"pid {a.pid}"):  # the same in Python
            Trainer(load_config(setup["config"]), out, resume=True, log=lambda s: None)
    finally:
        a.send_signal(signal.SIGKILL)
        a.wait(timeout=30)
    metrics, logs = resume(setup, out)
    assert any("removed 1 temporary file(s) left by an interrupted write" in line for line in logs)
    assert_same_as_reference(setup, out, metrics)


def test_kill_mid_log_append_then_resume(setup, tmp_path):
    """kill -9 after half a metrics line reached the disk: --resume drops the torn line and says so."""
    out = tmp_path / "run"
    proc = child(setup, out, "kill-mid-log")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, err
    metrics, logs = resume(setup, out)
    assert any("dropped the torn last line" in line for line in logs), logs
    assert_same_as_reference(setup, out, metrics)


def test_kill_at_a_random_moment_then_resume(setup, tmp_path):
    """kill -9 at a random moment (seeded) of a run, then resume."""
    out = tmp_path / "run"
    proc = child(setup, out, "plain")
    assert proc.stdout.readline().strip() == "started"
    time.sleep(random.Random(16).uniform(0.0, 1.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    metrics, _ = resume(setup, out)
    assert_same_as_reference(setup, out, metrics)


def test_lock_is_released_when_the_holder_dies(tmp_path):
    code = "import sys, time; from tal_pyg.utils.run_lock import RunLock; lock = RunLock(sys.argv[1]).acquire(); " \
           "print('held', flush=True); time.sleep(60)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert is_locked(tmp_path) and not is_locked(tmp_path, "cell.lock")  # the probe leaves the lock held
        with pytest.raises(RunLockedError, match=f"in use by another tal-pyg run \\(pid {holder.pid}\\)"):
            RunLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert not is_locked(tmp_path)
    with RunLock(tmp_path) as lock:  # the OS released it
        assert lock.held


def test_resume_of_a_finished_run_changes_nothing(setup, tmp_path):
    ref = setup["reference"]
    before = {p.name: p.read_bytes() for p in (ref / "metrics.jsonl", ref / "eval.json", ref / "predictions.json")}
    metrics, logs = resume(setup, ref)
    assert logs == [f"{ref}: the run is finished (eval.json); nothing to do"]
    assert {p: (ref / p).read_bytes() for p in before} == before
    assert metrics == json.loads((ref / "eval.json").read_text())
    records = [json.loads(x) for x in (ref / "metrics.jsonl").read_text().splitlines()]
    assert sum(bool(r.get("final")) for r in records) == 1


def test_a_damaged_log_names_the_file_and_line(setup, tmp_path):
    from tal_pyg.training.metrics_log import MetricsLog

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"iteration": 1, "split": "train"}\n{"iteration": 2, "spl\n{"iteration": 3, "split": "x"}\n')
    with pytest.raises(ValueError, match=r"metrics.jsonl: line 2 is not a metrics record .* damaged in the middle"):
        MetricsLog(path).read()
    path.write_text('{"iteration": 1, "split": "train"}\n{"iteration": 2, "spl')
    with pytest.raises(ValueError, match=r"metrics.jsonl: line 2 is a torn record"):
        MetricsLog(path).read()
    assert "dropped the torn last line 2" in MetricsLog(path).truncate_after(5)
    assert MetricsLog(path).read() == [{"iteration": 1, "split": "train"}]


def _fail_on(monkeypatch, target: str, call: int, err: int):
    """Make the ``call``-th atomic write of a file named ``target`` fail with ``err`` at its fsync (after the
    data went to the temporary file), as a full disk or a read-only remount does."""
    real_fsync = os.fsync
    seen = {"n": 0}

    def fsync(fd):
        name = Path(os.readlink(f"/proc/self/fd/{fd}")).name
        if name.startswith(f".{target}.") and name.endswith(".tmp"):
            seen["n"] += 1
            if seen["n"] == call:
                raise OSError(err, os.strerror(err))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS])
def test_disk_full_or_read_only_is_one_line_exit_2_and_nothing_is_lost(setup, tmp_path, monkeypatch, capsys, err):
    out = tmp_path / "run"
    args = ["train", "--config", str(setup["config"]), "--out", str(out)]
    _fail_on(monkeypatch, "last.pt", 2, err)  # the second checkpoint write fails
    assert main(args) == 2
    lines = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("tal-pyg train: warning: ")]
    assert len(lines) == 1 and lines[0].startswith(f"tal-pyg train: error: cannot write {out / 'checkpoints/last.pt'}: "
                                                   f"{os.strerror(err)} (the files written before are intact")
    assert load_checkpoint(out / "checkpoints/last.pt")["iteration"] == 2  # the previous checkpoint, intact
    assert not list(out.rglob(".*.tmp"))
    monkeypatch.undo()
    metrics, _ = resume(setup, out)
    assert_same_as_reference(setup, out, metrics)


def test_a_full_disk_while_appending_the_log(setup, tmp_path, monkeypatch, capsys):
    """Half a line reaches the disk, then ENOSPC: one line, exit 2; --resume drops the torn line."""
    import tal_pyg.training.metrics_log as ml

    real, calls = ml.append_text, {"n": 0}

    def append_text(path, text):
        calls["n"] += 1
        if calls["n"] == 5:
            with open(path, "a", encoding="utf-8") as f:
                f.write(text[:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, text)

    monkeypatch.setattr(ml, "append_text", append_text)
    out = tmp_path / "run"
    assert main(["train", "--config", str(setup["config"]), "--out", str(out)]) == 2
    err = "\n".join(x for x in capsys.readouterr().err.splitlines() if not x.startswith("tal-pyg train: warning: "))
    assert err.count("\n") == 0 and f"cannot write {out / 'metrics.jsonl'}: No space left on device" in err
    monkeypatch.undo()
    metrics, logs = resume(setup, out)
    assert any("dropped the torn last line" in line for line in logs)
    assert_same_as_reference(setup, out, metrics)
