"""Wall time of ``tal-pyg CMD --help`` for every sub-command (a child process each, best of ``--repeats``),
and whether it imported torch.

    python benchmarks/cli_help.py [--before DIR] [--repeats 3]

``--before DIR``: also time another copy of the package (e.g. ``git archive <commit> | tar -x -C DIR``) for a
before/after table. Prints a table and writes ``benchmarks/results/cli_help.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tal_pyg.cli.main import SUBCOMMANDS  # noqa: E402
from tal_pyg.utils.io import atomic_write_json  # noqa: E402

PROBE = ("import sys, runpy\nsys.argv = ['tal-pyg'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('tal_pyg', run_name='__main__')\nexcept SystemExit:\n    pass\n"
         "sys.stderr.write('torch=%s' % ('torch' in sys.modules))\n")


def time_help(root: Path, command: str, repeats: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    best, torch_imported = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", PROBE, command, "--help"], capture_output=True, text=True,
                              env=env, cwd=root)
        best = min(best, time.perf_counter() - t0)
        torch_imported = proc.stderr.strip().endswith("torch=True")
    return {"seconds": round(best, 3), "imports_torch": torch_imported}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    trees = {"after": REPO} if args.before is None else {"before": Path(args.before), "after": REPO}
    rows = []
    for command in SUBCOMMANDS:
        row = {"command": command}
        for label, root in trees.items():
            row[label] = time_help(root, command, args.repeats)
        rows.append(row)
    head = " | ".join(f"{label} s | {label} torch" for label in trees)
    print(f"| --help of | {head} |")
    print("|---|" + "---|---|" * len(trees))
    for r in rows:
        cells = " | ".join(f"{r[label]['seconds']} | {r[label]['imports_torch']}" for label in trees)
        print(f"| {r['command']} | {cells} |")
    atomic_write_json(REPO / "benchmarks" / "results" / "cli_help.json", {
        "rows": rows, "command": "python benchmarks/cli_help.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "python": platform.python_version()})


if __name__ == "__main__":
    main()
