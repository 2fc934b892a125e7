"""``tal-pyg info CKPT``: what a checkpoint holds (model, config, iteration, metrics, parameters)."""
from __future__ import annotations

import argparse
import json


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    p = subparsers.add_parser("info", help="describe a checkpoint",
                              description="Print the model, configuration summary, training state and "
                                          "parameter counts stored in a tal_pyg checkpoint.")
    p.add_argument("checkpoint", help="a checkpoint written by tal-pyg train (checkpoints/best.pt or last.pt)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--config", action="store_true", help="also print the full resolved config (YAML)")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import yaml

    from tal_pyg.models import model_summary, parameter_count
    from tal_pyg.training.build import load_model

    model, cfg, state = load_model(args.checkpoint)
    total, trainable = parameter_count(model), parameter_count(model, trainable_only=True)
    acgnets = getattr(model, "acgnets", None)
    acg_params = parameter_count(acgnets) if acgnets is not None else None
    info = {
        "checkpoint": args.checkpoint,
        "experiment": cfg.name,
        "head": cfg.model.head,
        "acgnet": cfg.model.acgnet.enabled,
        "acgnet_graph": {k: getattr(cfg.model.acgnet, k) for k in ("k", "threshold", "alpha", "z", "graph", "fusion")}
        if cfg.model.acgnet.enabled else None,
        "dataset": cfg.data.dataset,
        "in_channels": state["in_channels"],
        "num_classes": state["num_classes"],
        "class_names": state["class_names"],
        "iteration": state["iteration"],
        "best": state.get("best"),
        "parameters": total,
        "trainable_parameters": trainable,
        "acgnet_parameters": acg_params,
        "tal_pyg_version": state.get("tal_pyg_version"),
        "resumable": "optimizers" in state,
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"checkpoint      {args.checkpoint}")
    print(f"experiment      {cfg.name}  (tal_pyg {info['tal_pyg_version']})")
    print(f"model           {cfg.model.head}{' + ACGNet' if cfg.model.acgnet.enabled else ''}")
    if info["acgnet_graph"]:
        print("graph           " + ", ".join(f"{k}={v}" for k, v in info["acgnet_graph"].items()))
    print(f"input           {state['in_channels']} channels, {state['num_classes']} classes ({cfg.data.dataset})")
    print(f"parameters      {total / 1e6:.3f} M ({trainable / 1e6:.3f} M trainable"
          + (f"; ACGNet {acg_params / 1e6:.3f} M" if acg_params else "") + ")")
    print(f"iteration       {state['iteration']} / {cfg.optim.iterations}"
          f"{'  (full training state: --resume works)' if info['resumable'] else ''}")
    best = state.get("best") or {}
    if best.get("metric") is not None and best.get("metric") != float("-inf"):
        print(f"selected        iteration {best.get('iteration')}, {best.get('split', 'val')} average mAP "
              f"{100 * best['metric']:.2f} %")
    print(f"classes         {', '.join(state['class_names'][:10])}{' ...' if len(state['class_names']) > 10 else ''}")
    print("\n" + model_summary(model))
    if args.config:
        print("\n" + yaml.safe_dump(state["config"], sort_keys=False))
    return 0
