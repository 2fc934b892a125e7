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
from typing import Any, Callable, Dict, Iterator, List, Optional

import torch

from tal_pyg.config.dataclass_io import ConfigError, diff_keys, to_dict
from tal_pyg.config.experiment import RUNTIME_KEYS, ExperimentConfig
from tal_pyg.evaluation.selection import parse_selection_metric
from tal_pyg.training import data as data_mod
from tal_pyg.models import parameter_count
from tal_pyg.training.build import build_model, build_optimizers
from tal_pyg.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tal_pyg.training.distributed import DistributedContext, init_distributed, resolve_device
from tal_pyg.training.inference import evaluate_predictions, predict_split, unwrap
from tal_pyg.training.metrics_log import MetricsLog, plot_training_curves
from tal_pyg.training.preflight import open_checked_splits
from tal_pyg.training.reproducibility import get_rng_state, seed_everything, set_rng_state
from tal_pyg.training.loader import PlannedBatches, make_train_loader
from tal_pyg.training.step import MixedPrecision, first_nonfinite, train_iteration
from tal_pyg.utils.io import atomic_write_json, atomic_write_text, remove_stale_temporaries
from tal_pyg.utils.run_lock import RunLock

SELECTION_LABELS = {
    "val": "best average mAP on the validation videos carved from the training split",
    "last": "the last iteration",
    "test-oracle": "TEST-ORACLE: best checkpoint chosen on the test set (original repositories' protocol; optimistic)",
}


class Trainer:
    """Train, select and evaluate one experiment. See the module docstring for what it writes."""

    def __init__(
        self,
        cfg: ExperimentConfig,
        out_dir: str | Path,
        resume: bool = False,
        device: Optional[str] = None,
        log: Callable[[str], None] = print,
        stop_after: Optional[int] = None,
    ) -> None:
        self._run_lock: Optional[RunLock] = None
        self._finished: Optional[Dict[str, Any]] = None  # eval.json of a finished run that is resumed
        self.metrics: Optional[MetricsLog] = None
        try:
            self._setup(cfg, out_dir, resume, device, log, stop_after)
        except BaseException:
            self.close()
            raise

    def _setup(self, cfg: ExperimentConfig, out_dir: str | Path, resume: bool, device: Optional[str],
               log: Callable[[str], None], stop_after: Optional[int]) -> None:
        self.cfg = cfg
        self.out_dir = Path(out_dir)
        self.stop_after = stop_after  # for interruption tests: stop (as if killed) after this iteration
        tcfg = cfg.train
        if tcfg.num_threads:
            torch.set_num_threads(tcfg.num_threads)
        self.device = resolve_device(device or tcfg.device, 0)
        self.ctx: DistributedContext = init_distributed(self.device)
        if self.ctx.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.ctx.local_rank)
        self._log = log if self.ctx.is_main else (lambda s: None)
        resume = self._prepare_run_folder(resume)
        if tcfg.deterministic:
            torch.use_deterministic_algorithms(True)
        if cfg.optim.batch_size % self.ctx.world_size:
            raise ConfigError(
                f"optim.batch_size ({cfg.optim.batch_size}) must be divisible by the number of processes "
                f"({self.ctx.world_size})"
            )
        seed_everything(tcfg.seed)

        # ---- data
        dcfg = cfg.data
        if self.ctx.is_main and dcfg.dataset in data_mod.SYNTHETIC_PRESET_OF:
            data_mod.ensure_synthetic(dcfg, self._log)
        self.ctx.barrier()
        self.train_set, self.test_set, self.skipped_videos = open_checked_splits(dcfg, self._log)
        self.class_names: List[str] = list(self.train_set.class_names)
        if list(self.test_set.class_names) != self.class_names:
            raise ValueError("the train and test splits have different class lists")
        self.train_idx, self.val_idx = data_mod.split_train_val(len(self.train_set), dcfg.val_fraction, tcfg.seed)
        self.selection = tcfg.selection
        if self.selection == "val" and not self.val_idx:
            self._log("warning: no validation videos (data.val_fraction = 0): selecting the last iteration")
            self.selection = "last"
        self.tious = data_mod.tiou_thresholds(dcfg)
        self.train_transform = data_mod.train_transform(dcfg)
        self.eval_transform = data_mod.eval_transform(dcfg, cfg.model.head)
        self.selection_metric = parse_selection_metric(tcfg.selection_metric)
        first = self.train_set[self.train_idx[0]]
        self.in_channels = int(first.x.shape[-1])
        self.num_classes = len(self.class_names)

        # ---- model
        self.model = build_model(cfg, self.in_channels, self.num_classes).to(self.device)
        self.optimizers = build_optimizers(self.model, cfg.optim)
        self.ddp_model: torch.nn.Module = self.model
        if self.ctx.enabled:
            self.ddp_model = torch.nn.parallel.DistributedDataParallel(
                self.model,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=len(self.optimizers) > 1,
            )
        self.sampler = data_mod.BatchSampler(len(self.train_idx), cfg.optim.batch_size, tcfg.seed)
        self.precision = MixedPrecision(tcfg.precision, self.device)
        self._batches: Optional[Iterator[Any]] = None  # iterator of the training DataLoader (first step)
        # device tensor: first iteration with a non-finite loss (-1: none)
        self._first_nonfinite: Optional[torch.Tensor] = None
        self.iteration = 0
        self.best: Dict[str, Any] = {"iteration": 0, "metric": -math.inf}
        self.ckpt_dir = self.out_dir / "checkpoints"
        self.metrics = MetricsLog(self.out_dir / "metrics.jsonl", self.out_dir / "tb", enabled=self.ctx.is_main)
        if resume:
            self._resume()
        elif self.ctx.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / "metrics.jsonl").unlink(missing_ok=True)
            atomic_write_text(self.out_dir / "config.yaml", cfg.to_yaml())

    # ------------------------------------------------------------------ run folder
    def _prepare_run_folder(self, resume: bool) -> bool:
        """Lock the run folder, remove what a killed write left behind, refuse to overwrite a run. Returns
        whether there is a run to resume (``--resume`` before the first checkpoint starts the run)."""
        last = self.out_dir / "checkpoints" / "last.pt"
        if self.ctx.is_main:
            self._run_lock = RunLock(self.out_dir).acquire()
            stale = [p for d in (self.out_dir, last.parent) for p in remove_stale_temporaries(d)]
            if stale:
                self._log(f"removed {len(stale)} temporary file(s) left by an interrupted write: "
                          + ", ".join(str(p) for p in stale[:5]) + (" ..." if len(stale) > 5 else ""))
            if not resume and last.exists():
                raise ValueError(
                    f"{self.out_dir} already holds a run (checkpoints/last.pt): pass --resume to continue it, "
                    "or choose another --out"
                )
            if resume and not last.exists():
                self._log(f"{self.out_dir}: no checkpoints/last.pt to resume from: starting the run")
        self.ctx.barrier()
        return resume and last.exists()

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
        path = self.ckpt_dir / "last.pt"
        state = load_checkpoint(path, map_location="cpu")
        diff = [k for k in diff_keys(state["config"], to_dict(self.cfg)) if k not in RUNTIME_KEYS]
        if diff:
            raise CheckpointError(f"{path}: the configuration differs from the run being resumed ({', '.join(diff)})")
        try:
            self.model.load_state_dict(state["model"])
            for k, opt in self.optimizers.items():
                opt.load_state_dict(state["optimizers"][k])
        except (KeyError, RuntimeError, ValueError) as e:
            raise CheckpointError(f"{path}: the checkpoint does not fit this run's model and optimisers "
                                  f"({type(e).__name__}: {str(e).strip().splitlines()[0]})") from None
        self.sampler.load_state_dict(state["sampler"])
        self.precision.load_state_dict(state.get("grad_scaler", {}))
        self.iteration = int(state["iteration"])
        self.best = dict(state["best"])
        set_rng_state(state["rng"])
        finished = self.out_dir / "eval.json"
        if self.iteration >= self.cfg.optim.iterations and finished.is_file():
            from tal_pyg.evaluation._jsonfile import read_json

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
        t0 = time.time()
        eval_split = "test" if self.selection == "test-oracle" else "val"
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
            if it % cfg.train.checkpoint_every == 0 or it == total_iters:
                self._save("last.pt")
            if self.stop_after is not None and it >= self.stop_after and it < total_iters:
                self._batches = None  # stops the loader's workers
                if pbar is not None:
                    pbar.close()
                self.ctx.barrier()
                return {"interrupted_at": it}
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
