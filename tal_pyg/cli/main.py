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

SUBCOMMANDS = ("train", "evaluate", "predict", "synth", "convert", "info", "extract")


class CLIError(Exception):
    """An error with a message meant for the user (printed without a traceback)."""


def build_parser() -> argparse.ArgumentParser:
    from tal_pyg import __version__

    parser = argparse.ArgumentParser(
        prog="tal-pyg",
        description="Weakly-supervised temporal action localization with ACGNet (PyTorch Geometric).",
    )
    parser.add_argument("--version", action="version", version=f"tal-pyg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"tal_pyg.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
