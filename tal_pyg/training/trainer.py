"""The training and evaluation loop of one experiment.

``Trainer(cfg, out_dir).fit()`` trains the configured head (with or without ACGNet), selects a model,
evaluates it on the test split and leaves in ``out_dir``::

    config.yaml          the resolved configuration (every value, defaults included)
    metrics.jsonl        one JSON line per log step / evaluation (TensorBoard events in tb/ when installed)
    checkpoints/last.pt  the full training state (model, optimisers, RNG, sampler), written atomically
    checkpoints/best.pt  the selected weights
    predictions.json     test detections in the ActivityNet result format
    eval.json            detection mAP (keys of ``tal-pyg evaluate --json``) + classification mAP
    training_curves.png  loss terms and mAP against the iteration
    run.lock             the lock a running run holds on the folder (see :mod:`tal_pyg.utils.run_lock`)

The constructor builds the run from the functions of :mod:`tal_pyg.training.build`; :meth:`Trainer.fit` is
the loop around :func:`~tal_pyg.training.step.train_iteration` (logging, model-selection evaluations,
checkpoints, the callbacks of :mod:`tal_pyg.training.callbacks`), then the final test evaluation.

``resume=True`` continues from ``checkpoints/last.pt`` and, on CPU, ends with exactly the weights and
metrics of an uninterrupted run with the same seed; on a finished run it changes nothing and returns the
metrics of ``eval.json``.

A run holds an exclusive lock on ``out_dir`` (``run.lock``) from the constructor to the end of :meth:`fit`
(or :meth:`close`); before the first iteration every video of both splits is checked (see
:mod:`tal_pyg.training.preflight`). What the user sees for each fault: docs/reliability.md.
"""
from __future__ import annotations

import math
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import numpy as np
import torch

from tal_pyg.config.dataclass_io import to_dict
from tal_pyg.config.experiment import ExperimentConfig
from tal_pyg.evaluation.selection import parse_selection_metric
from tal_pyg.models import parameter_count
from tal_pyg.training import data as data_mod
from tal_pyg.training.build import build_model, build_optimizers, open_training_data, setup_process
from tal_pyg.training.callbacks import Callback
from tal_pyg.training.checkpoint import load_checkpoint, restore_training_state, save_checkpoint
from tal_pyg.training.inference import evaluate_predictions, predict_split, unwrap
from tal_pyg.training.loader import PlannedBatches, make_train_loader
from tal_pyg.training.metrics_log import MetricsLog, plot_training_curves
from tal_pyg.training.reproducibility import get_rng_state, seed_everything
from tal_pyg.training.run_folder import open_run_folder, start_run_folder
from tal_pyg.training.step import MixedPrecision, first_nonfinite, train_iteration
from tal_pyg.utils.io import atomic_write_json
from tal_pyg.utils.run_lock import RunLock

SELECTION_LABELS = {
    "val": "best average mAP on the validation videos carved from the training split",
    "last": "the last iteration",
    "test-oracle": "TEST-ORACLE: best checkpoint chosen on the test set (original repositories' protocol; optimistic)",
}


class Trainer:
    """Train, select and evaluate one experiment: the loop around
    :func:`~tal_pyg.training.step.train_iteration`. See the module docstring for what it writes.

    The constructor builds the run with the functions of :mod:`tal_pyg.training.build` (process and
    device, data, model, optimisers) and locks and prepares the run folder; ``resume=True`` restores
    ``checkpoints/last.pt`` (:func:`~tal_pyg.training.checkpoint.restore_training_state`).

    Args:
        cfg: the experiment.
        out_dir: the run folder.
        resume: continue the run in ``out_dir`` (a finished run: :meth:`fit` returns its ``eval.json``).
        device: overrides ``train.device``.
        log: where progress lines go (the main process only).
        callbacks: hooks called by the loop (:mod:`tal_pyg.training.callbacks`), e.g.
            :class:`~tal_pyg.training.callbacks.TimeLimit`; one may stop the run with :meth:`request_stop`.
    """

    def __init__(
        self,
        cfg: ExperimentConfig,
        out_dir: str | Path,
        resume: bool = False,
        device: Optional[str] = None,
        log: Callable[[str], None] = print,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        self._run_lock: Optional[RunLock] = None
        self._finished: Optional[Dict[str, Any]] = None  # eval.json of a finished run that is resumed
        self.metrics: Optional[MetricsLog] = None
        self.callbacks: List[Callback] = list(callbacks)
        self.should_stop = False
        self.started_at: Optional[float] = None  # time.time() when the loop of fit() began
        try:
            self._setup(cfg, Path(out_dir), resume, device, log)
        except BaseException:
            self.close()
            raise

    def _setup(self, cfg: ExperimentConfig, out_dir: Path, resume: bool, device: Optional[str],
               log: Callable[[str], None]) -> None:
        self.cfg, self.out_dir = cfg, out_dir
        self.device, self.ctx = setup_process(cfg.train, device)
        self._log = log if self.ctx.is_main else (lambda s: None)
        self._run_lock, resume = open_run_folder(out_dir, resume, self.ctx, self._log)
        seed_everything(cfg.train.seed)

        data = open_training_data(cfg, self._log, self.ctx)
        self.data = data
        self.train_set, self.test_set, self.skipped_videos = data.train_set, data.test_set, data.skipped_videos
        self.class_names, self.train_idx, self.val_idx = data.class_names, data.train_idx, data.val_idx
        self.in_channels, self.num_classes = data.in_channels, data.num_classes
        self.selection = cfg.train.selection
        if self.selection == "val" and not self.val_idx:
            self._log("warning: no validation videos (data.val_fraction = 0): selecting the last iteration")
            self.selection = "last"
        self.selection_metric = parse_selection_metric(cfg.train.selection_metric)

        self.model = build_model(cfg, self.in_channels, self.num_classes).to(self.device)
        self.optimizers = build_optimizers(self.model, cfg.optim)
        self.ddp_model: torch.nn.Module = self.model
        if self.ctx.enabled:
            self.ddp_model = torch.nn.parallel.DistributedDataParallel(
                self.model,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=len(self.optimizers) > 1,
            )
        self.sampler = data_mod.BatchSampler(len(self.train_idx), cfg.optim.batch_size, cfg.train.seed)
        self.precision = MixedPrecision(cfg.train.precision, self.device)
        self._batches: Optional[Iterator[Any]] = None  # iterator of the training DataLoader (first step)
        # device tensor: first iteration with a non-finite loss (-1: none)
        self._first_nonfinite: Optional[torch.Tensor] = None
        self.iteration = 0
        self.best: Dict[str, Any] = {"iteration": 0, "metric": -math.inf}
        self.ckpt_dir = out_dir / "checkpoints"
        self.metrics = MetricsLog(out_dir / "metrics.jsonl", out_dir / "tb", enabled=self.ctx.is_main)
        if resume:
            self._resume()
        elif self.ctx.is_main:
            start_run_folder(out_dir, cfg.to_yaml())

    @property
    def tious(self) -> np.ndarray:
        return self.data.tious

    @property
    def train_transform(self) -> Any:
        return self.data.train_transform

    @property
    def eval_transform(self) -> Any:
        return self.data.eval_transform

    def request_stop(self) -> None:
        """Ask the loop to stop after the current iteration, leaving a checkpoint to resume from (a
        callback's way to end a run early: :mod:`tal_pyg.training.callbacks`)."""
        self.should_stop = True

    def close(self) -> None:
        """Release the run folder (and the TensorBoard writer). :meth:`fit` calls it when it returns."""
        if self.metrics is not None:
            self.metrics.close()
        if self._run_lock is not None:
            self._run_lock.release()
            self._run_lock = None

    # ------------------------------------------------------------------ state
    def state_dict(self) -> Dict[str, Any]:
        return {
            "config": to_dict(self.cfg),
            "class_names": self.class_names,
            "in_channels": self.in_channels,
            "num_classes": self.num_classes,
            "iteration": self.iteration,
            "model": self.model.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "sampler": self.sampler.state_dict(),
            "rng": get_rng_state(),
            "grad_scaler": self.precision.state_dict(),
            "best": {k: v for k, v in self.best.items()},
            "tal_pyg_version": _version(),
        }

    def _resume(self) -> None:
        restored = restore_training_state(self.ckpt_dir / "last.pt", self.cfg, self.model, self.optimizers,
                                          self.sampler, self.precision)
        self.iteration, self.best = restored["iteration"], restored["best"]
        finished = self.out_dir / "eval.json"
        if self.iteration >= self.cfg.optim.iterations and finished.is_file():
            from tal_pyg.utils.io import read_json

            self._finished = read_json(finished, "eval")
            return
        note = self.metrics.truncate_after(self.iteration, drop_final=True)
        if note:
            self._log(note)
        self._log(f"resumed {self.out_dir} at iteration {self.iteration}")

    def _save(self, name: str, state: Optional[Dict[str, Any]] = None) -> None:
        self.check_finite()  # never checkpoint weights updated by a non-finite loss
        if self.ctx.is_main:
            save_checkpoint(self.ckpt_dir / name, state if state is not None else self.state_dict())

    # ------------------------------------------------------------------ loop
    def _train_batches(self):
        """The training DataLoader from the current iteration on (``data.num_workers`` workers)."""
        cfg = self.cfg
        plan = PlannedBatches(self.sampler, self.train_idx, self.iteration, cfg.optim.iterations,
                              self.ctx.rank, self.ctx.world_size)
        loader = make_train_loader(self.train_set, self.train_transform, cfg.train.seed, plan,
                                   num_workers=cfg.data.num_workers, pin_memory=self.device.type == "cuda")
        return iter(loader)

    def train_step(self) -> Dict[str, Any]:
        """One iteration: every training phase of the head on one global batch.

        Reads nothing from the device (``docs/gpu.md``): the loss terms come back as 0-dim device
        tensors, converted to floats by :meth:`read_logs` at log steps; a non-finite loss is
        recorded on the device and raised by :meth:`check_finite` (log steps, checkpoints).
        """
        cfg = self.cfg
        if self._batches is None:
            self._batches = self._train_batches()
        loaded = next(self._batches)
        expected = self.sampler.next_batch()  # the authoritative sampler follows the plan (checkpointed)
        if loaded.iteration != self.iteration or len(expected) != cfg.optim.batch_size:
            raise RuntimeError(f"training batch for iteration {loaded.iteration} arrived at {self.iteration}")
        batch = loaded.batch.to(self.device, non_blocking=True)
        mask = batch.mask if loaded.padded else None  # no padding: the model skips the masking
        logs = train_iteration(unwrap(self.ddp_model), self.optimizers, batch.x, mask, batch.y,
                               self.iteration, forward=self.ddp_model, grad_clip=cfg.optim.grad_clip,
                               precision=self.precision, sync=False)
        self._first_nonfinite = first_nonfinite(self._first_nonfinite, logs, self.iteration)
        self.iteration += 1
        return logs

    def check_finite(self) -> None:
        """Raise :class:`FloatingPointError` if a training loss so far was not finite (one host read)."""
        if self._first_nonfinite is not None:
            bad = int(self._first_nonfinite)
            if bad >= 0:
                raise FloatingPointError(f"iteration {bad}: the training loss is not finite (NaN or inf)")

    def read_logs(self, logs: Dict[str, Any]) -> Dict[str, float]:
        """The loss terms of :meth:`train_step` as floats, in one device->host copy."""
        self.check_finite()
        keys = list(logs)
        values = torch.stack([logs[k].float() for k in keys]).tolist() if keys else []
        return dict(zip(keys, values))

    def evaluate(self, split: str) -> Dict[str, Any]:
        """Detection + classification metrics on ``split`` ("val" or "test") with the current weights."""
        if split == "val":
            dataset, indices = self.train_set, self.val_idx
        else:
            dataset, indices = self.test_set, list(range(len(self.test_set)))
        preds = predict_split(self.ddp_model, dataset, indices, self.eval_transform, self.class_names,
                              self.device, self.cfg.train.eval_batch_size, self.ctx)
        if split == "val":
            gt = data_mod.subset_ground_truth(dataset.ground_truth, [dataset[i].video_name for i in indices])
        else:
            gt = dataset.ground_truth
        ambiguous = getattr(dataset, "ambiguous", None) if self.cfg.data.ambiguous else None
        with warnings.catch_warnings():
            if split == "val":  # a few validation videos need not contain every class that is predicted
                warnings.filterwarnings("ignore", message=r".*not classes of the evaluated ground truth")
            metrics = evaluate_predictions(preds, gt, self.tious, ambiguous=ambiguous)
            selection_value = self.selection_metric.value(metrics, {"results": preds.results}, gt, ambiguous)
        return {"metrics": metrics, "predictions": preds, "selection_value": selection_value}

    def fit(self) -> Dict[str, Any]:
        """Train (or continue), select, evaluate on the test split; returns the metrics of ``eval.json``.
        The run folder is released when it returns."""
        try:
            if self._finished is not None:
                self._log(f"{self.out_dir}: the run is finished (eval.json); nothing to do")
                return self._finished
            return self._train_and_finish()
        finally:
            self.close()

    def _train_and_finish(self) -> Dict[str, Any]:
        cfg = self.cfg
        total_iters = cfg.optim.iterations
        params_total = parameter_count(self.model)
        self._log(
            f"{cfg.name}: {cfg.model.head}{' + ACGNet' if cfg.model.acgnet.enabled else ''} | "
            f"{params_total / 1e6:.2f} M parameters | train {len(self.train_idx)} / val {len(self.val_idx)} / "
            f"test {len(self.test_set)} videos | {total_iters} iterations x {cfg.optim.batch_size} | "
            f"device {self.device}{f' x {self.ctx.world_size} processes' if self.ctx.enabled else ''}"
        )
        pbar = _progress(total_iters, self.iteration, enabled=cfg.train.progress and self.ctx.is_main,
                         desc=cfg.name)
        t0 = self.started_at = time.time()
        eval_split = "test" if self.selection == "test-oracle" else "val"
        self.should_stop = False
        while self.iteration < total_iters:
            logs = self.train_step()
            it = self.iteration
            if pbar is not None:
                pbar.update(1)
            if it % cfg.train.log_every == 0 or it == total_iters:  # the only host reads of the losses
                logs = self.read_logs(logs)
                self.metrics.write(it, "train", logs)
                if pbar is not None and "loss/total" in logs:
                    pbar.set_postfix(loss=f"{logs['loss/total']:.4f}")
            if self.selection != "last" and (it % cfg.train.eval_every == 0 or it == total_iters):
                evaluated = self.evaluate(eval_split)
                m, value = evaluated["metrics"], evaluated["selection_value"]
                self.metrics.write(it, eval_split, {**_scalars(m), "selection_value": value})
                if value > self.best["metric"]:
                    self.best = {"iteration": it, "metric": value, "split": eval_split,
                                 "selection_metric": self.selection_metric.name}
                    state = self.state_dict()
                    self._save("best.pt", {k: state[k] for k in
                                           ("config", "class_names", "in_channels", "num_classes", "iteration",
                                            "model", "best", "tal_pyg_version")})
                if pbar is not None:
                    loss = logs.get("loss/total")
                    pbar.set_postfix(loss=f"{float(loss) if loss is not None else float('nan'):.4f}",
                                     **{f"{eval_split}_mAP": f"{100 * m['average_mAP']:.2f}"})
                for callback in self.callbacks:
                    callback.on_evaluation_end(self, it, eval_split, m, value)
            checkpointed = it % cfg.train.checkpoint_every == 0 or it == total_iters
            if checkpointed:
                self._save("last.pt")
            for callback in self.callbacks:
                callback.on_iteration_end(self, it, logs)
            if self.should_stop and it < total_iters:
                if not checkpointed:
                    self._save("last.pt")
                self._batches = None  # stops the loader's workers
                if pbar is not None:
                    pbar.close()
                self.ctx.barrier()
                self._log(f"{cfg.name}: stopped at iteration {it} of {total_iters} "
                          f"(checkpoints/last.pt; continue with --resume)")
                return {"stopped_at": it}
        self._batches = None  # stops the loader's workers
        if pbar is not None:
            pbar.close()
        train_seconds = time.time() - t0
        return self._finish(train_seconds)

    def _finish(self, train_seconds: float) -> Dict[str, Any]:
        cfg = self.cfg
        if self.selection == "last":
            selected_iteration = self.iteration
            self._save("best.pt", {k: v for k, v in self.state_dict().items()
                                   if k not in ("optimizers", "sampler", "rng")})
        else:
            best = load_checkpoint(self.ckpt_dir / "best.pt") if self.ctx.is_main else None
            best = self.ctx.broadcast_object(best)
            self.model.load_state_dict(best["model"])
            selected_iteration = int(best["iteration"])
        t0 = time.time()
        result = self.evaluate("test")
        eval_seconds = time.time() - t0
        metrics = result["metrics"]
        metrics.update({
            "split": cfg.data.test_split,
            "selection": self.selection,
            "selection_note": SELECTION_LABELS[self.selection],
            "selection_metric": self.selection_metric.name,
            "selected_iteration": selected_iteration,
            "experiment": cfg.name,
            "head": cfg.model.head,
            "acgnet": cfg.model.acgnet.enabled,
            "parameters": parameter_count(self.model),
            "train_seconds_this_session": round(train_seconds, 2),
            "test_seconds": round(eval_seconds, 2),
        })
        if any(self.skipped_videos.values()):
            metrics["skipped_videos"] = self.skipped_videos
        if self.ctx.is_main:
            self._write_results(result["predictions"].results, metrics)
            self._log(format_summary(metrics))
        self.ctx.barrier()
        return metrics

    def _write_results(self, results: Dict[str, Any], metrics: Dict[str, Any]) -> None:
        """predictions.json (with the evaluation settings), the final metrics record, then eval.json: its
        presence marks the run as finished (a resume after it changes nothing)."""
        from tal_pyg.evaluation import write_predictions

        cfg = self.cfg
        write_predictions(self.out_dir / "predictions.json", results, version=f"tal_pyg {_version()} {cfg.name}",
                          evaluation=self._evaluation_settings())
        self.metrics.write(self.iteration, "test", {**_scalars(metrics), "final": True})
        atomic_write_json(self.out_dir / "eval.json", metrics)
        if plot_training_curves(self.metrics.read(), self.out_dir / "training_curves.png", title=cfg.name) is None:
            self._log("training_curves.png not written: matplotlib is not installed (pip install 'tal-pyg[plot]')")

    def _evaluation_settings(self) -> Dict[str, Any]:
        """What the test evaluation used, stored in predictions.json so that ``tal-pyg evaluate`` and
        :func:`~tal_pyg.evaluation.detection_map` default to it (docs/reliability.md)."""
        dcfg = self.cfg.data
        subsets = {self.test_set.annotation(v).subset for v in self.test_set.video_names}
        annotation_file = getattr(self.test_set, "annotation_file", None)
        return {
            "subset": subsets.pop() if len(subsets) == 1 else None,
            "tiou_thresholds": [float(t) for t in self.tious],
            "tiou_preset": None if dcfg.tiou_thresholds else dcfg.tiou_preset,
            "class_names": list(self.class_names),
            "ambiguous": bool(dcfg.ambiguous),
            "ground_truth": str(annotation_file) if annotation_file else None,
        }


def format_summary(metrics: Dict[str, Any]) -> str:
    """A small table: mAP at each tIoU threshold, the average, and classification mAP (in %)."""
    tious = metrics["tiou_thresholds"]
    head = " | ".join(f"{t:.2f}" for t in tious)
    vals = " | ".join(f"{100 * v:.2f}" for v in metrics["mAP"])
    lines = [
        f"test mAP (%) of {metrics.get('experiment', '')} — selection: {metrics.get('selection_note', '')}",
        f"| tIoU | {head} | avg | cls mAP |",
        f"|---|{'---|' * len(tious)}---|---|",
        f"| mAP | {vals} | {100 * metrics['average_mAP']:.2f} | "
        f"{100 * metrics.get('classification_mAP', float('nan')):.2f} |",
    ]
    return "\n".join(lines)


def _scalars(metrics: Dict[str, Any]) -> Dict[str, float]:
    out = {"average_mAP": float(metrics["average_mAP"])}
    for t, v in zip(metrics["tiou_thresholds"], metrics["mAP"]):
        out[f"mAP@{t:.2f}"] = float(v)
    if "classification_mAP" in metrics:
        out["classification_mAP"] = float(metrics["classification_mAP"])
    return out


def _progress(total: int, initial: int, enabled: bool, desc: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True, leave=False)


def _version() -> str:
    from tal_pyg import __version__

    return __version__
