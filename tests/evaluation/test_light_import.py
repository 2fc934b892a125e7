"""The evaluation package and the ``tal-pyg evaluate`` CLI import neither torch nor the datasets."""
from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "torch_geometric", "tal_pyg.datasets")


def test_evaluation_imports_without_torch_or_datasets():
    code = (
        "import sys, tal_pyg.evaluation, tal_pyg.cli.evaluate;"
        f"heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}));"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
