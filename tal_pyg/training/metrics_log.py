"""The metrics log of a run: JSON lines (always), TensorBoard (when installed), a PNG of the curves."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from tal_pyg.utils.io import append_text, atomic_open


class MetricsLog:
    """Append-only ``metrics.jsonl``: one JSON object per line, each with ``iteration`` and ``split``.

    On resume, :meth:`truncate_after` drops the lines written after the checkpoint the run resumes from,
    so the log of a resumed run equals the log of an uninterrupted one. A last line that is not a complete
    JSON record (the process was killed, or the disk filled up, in the middle of appending it) is a *torn*
    line: :meth:`read` refuses it with the file and line, :meth:`truncate_after` drops it and says so
    (docs/reliability.md).
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
        append_text(self.path, json.dumps(record) + "\n")
        if self._tb is not None:
            for key, value in values.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value)):
                    self._tb.add_scalar(f"{split}/{key}", value, iteration)

    def read(self) -> List[Dict[str, Any]]:
        """Every record; ``ValueError`` naming the file and line for a torn or damaged line."""
        records, torn = self._parse()
        if torn is not None:
            raise ValueError(f"{self.path}: line {torn[0]} is a torn record (the run was interrupted while "
                             "writing it); `tal-pyg train --resume` drops it")
        return records

    def _parse(self) -> Tuple[List[Dict[str, Any]], Optional[Tuple[int, str]]]:
        """(records, (line number, text) of a torn last line or None)."""
        if not self.path.is_file():
            return [], None
        try:
            text = self.path.read_text(encoding="utf-8", errors="strict")
        except UnicodeDecodeError:  # a torn multi-byte character at the very end
            text = self.path.read_bytes().decode("utf-8", errors="replace")
        lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
        records: List[Dict[str, Any]] = []
        for k, (n, line) in enumerate(lines):
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or "iteration" not in record or "split" not in record:
                    raise ValueError("not a metrics record")
            except ValueError as e:
                if k == len(lines) - 1:
                    return records, (n, line)
                raise ValueError(f"{self.path}: line {n} is not a metrics record ({e}); the file is damaged "
                                 "in the middle, not just torn at the end") from None
            records.append(record)
        return records, None

    def truncate_after(self, iteration: int, drop_final: bool = False) -> Optional[str]:
        """Keep the records up to ``iteration`` (and, with ``drop_final``, none marked ``final``); drop a torn
        last line. Returns a message when a torn line was dropped."""
        if not self.enabled or not self.path.is_file():
            return None
        records, torn = self._parse()
        keep = [r for r in records if r["iteration"] <= iteration and not (drop_final and r.get("final"))]
        with atomic_open(self.path, "w", encoding="utf-8") as f:
            for r in keep:
                f.write(json.dumps(r) + "\n")
        if torn is None:
            return None
        return (f"{self.path}: dropped the torn last line {torn[0]} ({len(torn[1])} characters, written when "
                f"the run was interrupted); the log now ends with its last complete record")

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
