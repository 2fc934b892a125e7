import json

import pytest
import torch
import yaml

from tal_pyg.config import load_config
from tal_pyg.training import CheckpointError, Trainer, load_checkpoint
from tal_pyg.training.build import load_model
from tal_pyg.training.callbacks import Callback
from tests.conftest import StopAt, make_tiny_config as tiny_config_dict


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@pytest.fixture
def run(tiny_features, tiny_config):
    """``run(out, stop_at=None, resume=False, **config sections)`` -> the metrics of ``Trainer.fit``."""

    def _run(out, stop_at=None, resume=False, **sections):
        cfg = load_config(data=tiny_config(tiny_features, **sections))
        return Trainer(cfg, out, resume=resume, log=lambda s: None,
                       callbacks=[StopAt(stop_at)] if stop_at else ()).fit()

    return _run


def test_run_writes_every_artifact(run, tiny_features, tmp_path):
    out = tmp_path / "run"
    metrics = run(out)
    for name in ("config.yaml", "metrics.jsonl", "checkpoints/last.pt", "checkpoints/best.pt",
                 "predictions.json", "eval.json"):
        assert (out / name).is_file(), name
    # the curves need the plot extra; without matplotlib the run still completes, without the PNG
    assert (out / "training_curves.png").is_file() == _importable("matplotlib")
    ev = json.loads((out / "eval.json").read_text())
    for key in ("tiou_thresholds", "mAP", "average_mAP", "ap_per_class", "classification_mAP"):
        assert key in ev
    assert ev == json.loads(json.dumps(metrics))
    assert len(ev["mAP"]) == 7 and 0.0 <= ev["average_mAP"] <= 1.0
    assert ev["selection"] == "val"
    preds = json.loads((out / "predictions.json").read_text())
    test_names = (tiny_features / "split_test.txt").read_text().split()
    assert set(preds["results"]) == set(test_names)
    for dets in preds["results"].values():
        for d in dets:
            assert set(d) == {"label", "score", "segment"} and d["segment"][0] <= d["segment"][1]
    # the saved config reloads into the same experiment
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert load_config(data=saved).to_dict() == saved
    # metrics log: train lines every iteration, val lines at 3 and 6, one test line
    log = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in log if r["split"] == "train"] == [1, 2, 3, 4, 5, 6]
    assert [r["iteration"] for r in log if r["split"] == "val"] == [3, 6]
    assert [r["split"] for r in log].count("test") == 1
    assert all(torch.isfinite(torch.tensor(r["loss/total"])) for r in log if r["split"] == "train")


class Crash(Exception):
    pass


class CrashAt(Callback):
    """A callback that raises after iteration ``n``: the run ends as a killed one (no checkpoint written)."""

    def __init__(self, n):
        self.n = n

    def on_iteration_end(self, trainer, iteration, logs):
        if iteration == self.n:
            raise Crash(iteration)


def _assert_same_run(full, part, m_full, m_part):
    a = load_checkpoint(full / "checkpoints/last.pt")
    b = load_checkpoint(part / "checkpoints/last.pt")
    assert a["iteration"] == b["iteration"] == 6
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    drop = ("train_seconds_this_session", "test_seconds")
    assert {k: v for k, v in m_full.items() if k not in drop} == {k: v for k, v in m_part.items() if k not in drop}
    strip = lambda p: [{k: v for k, v in json.loads(line).items() if k not in drop}  # noqa: E731
                       for line in (p / "metrics.jsonl").read_text().splitlines()]
    assert strip(full) == strip(part)
    assert (full / "predictions.json").read_text() == (part / "predictions.json").read_text()


def test_a_callback_stops_the_run_and_resume_gives_identical_weights_and_metrics(run, tiny_features, tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    m_full = run(full)
    assert run(part, stop_at=3) == {"stopped_at": 3}
    # stopped after iteration 3 (checkpoint_every = 2): the stop wrote last.pt at 3, no eval.json
    assert load_checkpoint(part / "checkpoints/last.pt")["iteration"] == 3
    assert not (part / "eval.json").exists()
    with pytest.raises(ValueError, match="--resume"):
        run(part)
    _assert_same_run(full, part, m_full, run(part, resume=True))


def test_resume_after_a_crash_gives_identical_weights_and_metrics(run, tiny_features, tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    m_full = run(full)
    cfg = load_config(data=tiny_config_dict(tiny_features))
    with pytest.raises(Crash):
        Trainer(cfg, part, log=lambda s: None, callbacks=[CrashAt(3)]).fit()
    # crashed after iteration 3 (logged, evaluated); the last checkpoint is from iteration 2
    assert load_checkpoint(part / "checkpoints/last.pt")["iteration"] == 2
    assert max(json.loads(line)["iteration"] for line in (part / "metrics.jsonl").read_text().splitlines()) == 3
    _assert_same_run(full, part, m_full, run(part, resume=True))


def test_the_loop_calls_every_hook(run, tiny_features, tmp_path):
    calls = []

    class Recorder(Callback):
        def on_iteration_end(self, trainer, iteration, logs):
            assert trainer.iteration == iteration and "loss/total" in logs
            calls.append(("iteration", iteration))

        def on_evaluation_end(self, trainer, iteration, split, metrics, selection_value):
            assert 0.0 <= metrics["average_mAP"] <= 1.0
            calls.append((split, iteration))

    cfg = load_config(data=tiny_config_dict(tiny_features))
    Trainer(cfg, tmp_path / "r", log=lambda s: None, callbacks=[Recorder()]).fit()
    assert calls == [("iteration", 1), ("iteration", 2), ("val", 3), ("iteration", 3), ("iteration", 4),
                     ("iteration", 5), ("val", 6), ("iteration", 6)]


def test_time_limit_stops_the_run(run, tiny_features, tmp_path):
    from tal_pyg.training.callbacks import TimeLimit

    cfg = load_config(data=tiny_config_dict(tiny_features))
    out = Trainer(cfg, tmp_path / "t", log=lambda s: None, callbacks=[TimeLimit(1e-9)]).fit()
    assert out == {"stopped_at": 1}
    assert load_checkpoint(tmp_path / "t/checkpoints/last.pt")["iteration"] == 1
    with pytest.raises(ValueError, match="positive"):
        TimeLimit(0)


def test_resume_refuses_a_changed_config(run, tiny_features, tmp_path):
    out = tmp_path / "run"
    run(out, stop_at=2)
    with pytest.raises(CheckpointError, match="optim.lr"):
        run(out, resume=True, optim={"lr": 1e-2})


def test_same_seed_same_result_and_seed_matters(run, tiny_features, tmp_path):
    a = run(tmp_path / "a", model={"acgnet": {"enabled": False}})
    b = run(tmp_path / "b", model={"acgnet": {"enabled": False}})
    wa = load_checkpoint(tmp_path / "a/checkpoints/last.pt")["model"]
    wb = load_checkpoint(tmp_path / "b/checkpoints/last.pt")["model"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a["mAP"] == b["mAP"]
    run(tmp_path / "c", model={"acgnet": {"enabled": False}}, train={"seed": 1})
    wc = load_checkpoint(tmp_path / "c/checkpoints/last.pt")["model"]
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)


def test_test_oracle_selection_is_labelled(run, tiny_features, tmp_path):
    m = run(tmp_path / "o", train={"selection": "test-oracle"})
    assert m["selection"] == "test-oracle" and "TEST-ORACLE" in m["selection_note"]
    log = [json.loads(line) for line in (tmp_path / "o/metrics.jsonl").read_text().splitlines()]
    assert not any(r["split"] == "val" for r in log)


def test_checkpoint_of_another_model_is_a_clear_error(run, tiny_features, tmp_path):
    out = tmp_path / "run"
    run(out)
    model, cfg, state = load_model(out / "checkpoints/best.pt")
    assert cfg.model.acgnet.enabled
    # tamper: claim the checkpoint is a bare BaM model
    state["config"]["model"]["head"] = "bam"
    state["config"]["model"]["head_config"] = {}
    torch.save(state, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="do not match a bam"):
        load_model(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_model(tmp_path / "junk.pt")


def test_test_oracle_selects_on_the_configured_metric(run, tiny_features, tmp_path):
    """train.selection_metric: the released DGAM's mAP@0.5 (here on a BaS-Net run): every test evaluation
    logs it as selection_value and best.pt is its first maximum."""
    out = tmp_path / "oracle"
    metrics = run(out, train={"selection": "test-oracle", "selection_metric": "mAP@0.5", "eval_every": 2})
    log = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in log if r["split"] == "test" and "selection_value" in r]
    assert [r["iteration"] for r in rows] == [2, 4, 6]
    for r in rows:
        assert r["selection_value"] == pytest.approx(r["mAP@0.50"])
    best = max(rows, key=lambda r: (r["selection_value"], -r["iteration"]))
    assert load_checkpoint(out / "checkpoints/best.pt")["iteration"] == best["iteration"]
    assert metrics["selection_metric"] == "mAP@0.5" and metrics["selected_iteration"] == best["iteration"]


def test_a_run_of_an_earlier_version_with_flat_localisation_keys_resumes(tiny_features, tmp_path):
    """Checkpoint and config written with ``model.head_config.argmax_if_none`` (before the ``proposal``
    section): ``--resume`` with that config continues the run and ends as the uninterrupted one."""
    flat = {"hidden_channels": 16, "filter_hidden_channels": 8, "argmax_if_none": True, "nms_threshold": 0.6}
    nested = {"hidden_channels": 16, "filter_hidden_channels": 8,
              "proposal": {"argmax_if_none": True, "nms_threshold": 0.6}}
    new_cfg = load_config(data=tiny_config_dict(tiny_features, model={"head_config": nested}))
    m_full = Trainer(new_cfg, tmp_path / "full", log=lambda s: None).fit()
    part = tmp_path / "part"
    assert Trainer(new_cfg, part, log=lambda s: None, callbacks=[StopAt(3)]).fit() == {"stopped_at": 3}
    state = load_checkpoint(part / "checkpoints/last.pt")  # as an earlier version wrote it
    state["config"]["model"]["head_config"] = dict(flat)
    torch.save(state, part / "checkpoints/last.pt")
    with pytest.warns(FutureWarning, match="argmax_if_none"):
        old_cfg = load_config(data=tiny_config_dict(tiny_features, model={"head_config": flat}))
    assert old_cfg == new_cfg
    _assert_same_run(tmp_path / "full", part, m_full, Trainer(old_cfg, part, resume=True, log=lambda s: None).fit())
