"""``tal-pyg train``: train, select and evaluate one experiment from a YAML config."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List, Optional


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--config", "-c", required=True, help="experiment YAML (see experiments/configs/)")
    p.add_argument("--out", "-o", default=None, help="run folder (default: runs/<config name>)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set model.acgnet.k=40 (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    p.add_argument("--device", default=None, help="auto (default: CUDA when available), cpu, cuda, cuda:N")
    p.add_argument("--seed", type=int, default=None, help="shortcut for --set train.seed=N")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train",
        help="train and evaluate a WTAL model from a config",
        description="Train a WTAL head (optionally with ACGNet) from one YAML config, select a model on the "
                    "validation videos, evaluate on the test split, and write config.yaml, metrics.jsonl, "
                    "checkpoints/, predictions.json, eval.json and training_curves.png into --out. "
                    "Multi-GPU / multi-node: torchrun --nproc_per_node N experiments/run.py --config ...",
    )
    add_arguments(p)
    p.set_defaults(func=run)
    return p


def resolve(args: argparse.Namespace):
    from tal_pyg.config import load_config

    overrides: List[str] = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"train.seed={args.seed}")
    if args.no_progress:
        overrides.append("train.progress=false")
    cfg = load_config(args.config, overrides=overrides)
    out = Path(args.out) if args.out else Path("runs") / cfg.name
    return cfg, out


def run(args: argparse.Namespace) -> int:
    from tal_pyg.utils.run_lock import RunLock

    if args.out:  # a folder in use: stop at once, before importing torch (the Trainer then locks it itself)
        RunLock(args.out).acquire().release()
    cfg, out = resolve(args)
    from tal_pyg.training import Trainer
    from tal_pyg.training.distributed import shutdown_distributed

    try:
        Trainer(cfg, out, resume=args.resume, device=args.device).fit()
    finally:
        shutdown_distributed()
    return 0


def train_and_evaluate(config: str, out: Optional[str] = None, overrides: Optional[List[str]] = None,
                       **kwargs: Any) -> Dict[str, Any]:
    """Python entry point: ``train_and_evaluate("experiments/configs/x.yaml", "runs/x")`` -> eval metrics."""
    from tal_pyg.config import load_config
    from tal_pyg.training import Trainer

    cfg = load_config(config, overrides=overrides or [])
    return Trainer(cfg, Path(out) if out else Path("runs") / cfg.name, **kwargs).fit()
