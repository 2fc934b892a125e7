"""``tal-pyg train``: not yet available (placeholder until its issue lands)."""
from __future__ import annotations

import argparse


def add_parser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    p = subparsers.add_parser("train", help="(train: not yet available)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    print("tal-pyg train: not yet available")
    return 1
