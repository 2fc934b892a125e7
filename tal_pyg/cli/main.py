"""The ``tal-pyg`` command line: one entry point, one module per sub-command.

Each module in :data:`SUBCOMMANDS` defines ``add_parser(subparsers) -> argparse.ArgumentParser``
and sets ``func=run`` on the parser it adds, where ``run(args) -> int`` returns the exit status.
Errors meant for the user are raised as :class:`tal_pyg.cli.main.CLIError` (or ``ValueError`` /
``FileNotFoundError``) and printed as one line without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

#: sub-command -> one-line summary for ``tal-pyg --help`` (the module itself is imported only when the
#: sub-command is used, so that ``tal-pyg evaluate`` does not pay for importing torch_geometric).
SUBCOMMANDS = {
    "train": "train and evaluate a WTAL model from a config",
    "evaluate": "detection mAP of a results file against ground truth (ActivityNet-exact)",
    "predict": "detect actions in one video with a trained checkpoint",
    "synth": "generate a synthetic WTAL benchmark in the BaS-Net layout",
    "convert": "convert W-TALC pickled features into the safe per-video layout",
    "info": "describe a checkpoint",
    "extract": "extract two-stream I3D features from raw videos",
    "graph-stats": "statistics of the action complement graph on a features folder",
}


class CLIError(Exception):
    """An error with a message meant for the user (printed without a traceback)."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``only``, the other sub-commands are listed but their modules not imported."""
    from tal_pyg import __version__

    parser = argparse.ArgumentParser(
        prog="tal-pyg",
        description="Weakly-supervised temporal action localization with ACGNet (PyTorch Geometric).",
    )
    parser.add_argument("--version", action="version", version=f"tal-pyg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in SUBCOMMANDS.items():
        if only is None or name == only:
            importlib.import_module(f"tal_pyg.cli.{name.replace('-', '_')}").add_parser(sub)
        else:
            sub.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in SUBCOMMANDS else "")
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (CLIError, ValueError, FileNotFoundError, KeyError) as e:
        if getattr(args, "debug", False):
            raise
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"tal-pyg {args.command}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
