"""The PNG of the sweep studies (table3: mAP@0.5 by K per graph; lambda: mAP@0.5 by λ, with / without top-K)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from .paper import GRAPH_LABELS


def plot_sweep(study: str, rows: Dict[str, Dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = rows.get("baseline")
    rows = {k: r for k, r in rows.items() if k != "baseline"}
    if not rows:  # only BaS-Net alone so far: nothing to sweep
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    if base is not None:
        ax.axhline(base["mAP"][4][0], color="grey", linestyle="--", label="BaS-Net alone")
    if study.partition("@")[0] == "table3":
        for g in ("similarity", "similarity_minus_temporal", "full"):
            pts = sorted((r["info"]["k"], r["mAP"][4][0]) for r in rows.values() if r["info"]["graph"] == g)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=GRAPH_LABELS[g])
        for r in rows.values():
            if r["info"]["graph"] == "temporal_only":
                ax.plot([r["info"]["k"]], [r["mAP"][4][0]], "k*", markersize=10, label="Gt only")
        ax.set_xscale("log")
        ax.set_xlabel("K (top-K per row; K = T is dense)")
    else:
        for topk, label in ((True, "top-K + threshold"), (False, "threshold only")):
            pts = sorted((r["info"]["lambda"], r["mAP"][4][0]) for r in rows.values() if r["info"]["topk"] == topk)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=label)
        ax.set_xlabel("λ (edge threshold)")
    ax.set_ylabel("test mAP@0.5 (%)")
    seeds = sorted({r["n"] for r in rows.values()})
    n = f"{seeds[0]}" if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}"
    ax.set_title(f"{study}: BaS-Net + ACGNet on thumos-like-small (mean of {n} seed{'s' * (seeds != [1])})")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    from tal_pyg.utils.io import atomic_open

    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
