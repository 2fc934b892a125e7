"""The metrics log of a run: JSON lines (always), TensorBoard (when installed), a PNG of the curves."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional

from tal_pyg.utils.io import atomic_open


class MetricsLog:
    """Append-only ``metrics.jsonl``: one JSON object per line, each with ``iteration`` and ``split``.

    On resume, :meth:`truncate_after` drops the lines written after the checkpoint the run resumes from,
    so the log of a resumed run equals the log of an uninterrupted one.
    """

    def __init__(self, path: Path, tensorboard_dir: Optional[Path] = None, enabled: bool = True) -> None:
        self.path = Path(path)
        self.enabled = enabled
        self._tb = None
        if enabled and tensorboard_dir is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(tensorboard_dir))
            except Exception:  # tensorboard not installed
                self._tb = None

    def write(self, iteration: int, split: str, values: Dict[str, Any]) -> None:
        if not self.enabled:
            return
        record = {"iteration": int(iteration), "split": split, **values}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self._tb is not None:
            for key, value in values.items():
                if isinstance(value, (int, float)) and math.isfinite(float(value)):
                    self._tb.add_scalar(f"{split}/{key}", value, iteration)

    def read(self) -> List[Dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def truncate_after(self, iteration: int) -> None:
        if not self.enabled or not self.path.is_file():
            return
        keep = [r for r in self.read() if r["iteration"] <= iteration]
        with atomic_open(self.path, "w", encoding="utf-8") as f:
            for r in keep:
                f.write(json.dumps(r) + "\n")

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()


def plot_training_curves(records: List[Dict[str, Any]], path: Path, title: str = "") -> Optional[Path]:
    """Loss terms (train) and average mAP (validation/test) against the iteration, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    train = [r for r in records if r["split"] == "train"]
    evals = [r for r in records if r["split"] in ("val", "test") and "average_mAP" in r]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    keys = sorted({k for r in train for k in r if k.startswith("loss/")})
    for key in keys:
        pts = [(r["iteration"], r[key]) for r in train if key in r]
        axes[0].plot([p[0] for p in pts], [p[1] for p in pts], label=key[5:])
    axes[0].set_xlabel("iteration")
    axes[0].set_ylabel("loss")
    axes[0].set_yscale("symlog", linthresh=1e-3)
    if keys:
        axes[0].legend(fontsize=7)
    for split in ("val", "test"):
        pts = [(r["iteration"], 100 * r["average_mAP"]) for r in evals if r["split"] == split]
        if pts:
            axes[1].plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{split} average mAP")
    axes[1].set_xlabel("iteration")
    axes[1].set_ylabel("mAP (%)")
    axes[1].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
    return path
