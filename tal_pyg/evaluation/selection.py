"""The number model selection maximises (``train.selection_metric``).

* ``"average"``: the mean mAP over the tIoU thresholds the experiment evaluates (``data.tiou_preset``);
* ``"average@<preset>"``: the mean mAP over a preset of :data:`tal_pyg.evaluation.TIOU_PRESETS`, e.g.
  ``average@thumos14-full`` (0.1:0.9, what the released BaS-Net selects on) or ``average@thumos14``
  (0.1:0.7, the released UM/BaM);
* ``"mAP@<t>"``: the mAP at one tIoU threshold, e.g. ``mAP@0.5`` (the released DGAM on THUMOS'14).

The released repositories select on the test set; ``train.selection: test-oracle`` with
``selection_metric: auto`` reproduces each host's metric (docs/departures.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

import numpy as np


@dataclass(frozen=True)
class SelectionMetric:
    """A parsed ``selection_metric``: ``tious`` is ``None`` for the experiment's own thresholds."""

    name: str
    tious: Optional[np.ndarray] = None

    def value(self, metrics: Dict[str, Any], predictions: Optional[Dict[str, Any]] = None,
              ground_truth: Optional[Dict[str, Any]] = None, ambiguous: Any = None) -> float:
        """The metric from an evaluation's ``metrics`` (keys of ``tal-pyg evaluate --json``). Thresholds
        the evaluation did not compute are evaluated again from ``predictions`` (ActivityNet results
        format) and ``ground_truth``; matching is independent per threshold, so the values agree."""
        if self.tious is None:
            return float(metrics["average_mAP"])
        done = np.asarray(metrics["tiou_thresholds"], dtype=np.float64)
        vals = np.asarray(metrics["mAP"], dtype=np.float64)
        picked = []
        for t in self.tious:
            hit = np.nonzero(np.isclose(done, t, rtol=0.0, atol=1e-9))[0]
            if hit.size == 0:
                break
            picked.append(vals[hit[0]])
        else:
            return float(np.mean(picked))
        if predictions is None or ground_truth is None:
            raise ValueError(f"selection metric {self.name}: the evaluation lacks tIoU thresholds "
                             f"{self.tious.tolist()} and no predictions were given to compute them")
        import warnings

        from tal_pyg.evaluation.detection import detection_map

        with warnings.catch_warnings():  # the same predictions were just evaluated (and warned about)
            warnings.simplefilter("ignore")
            res = detection_map(ground_truth, predictions, tiou_thresholds=self.tious, ambiguous=ambiguous)
        return float(res.average_mAP)


def parse_selection_metric(name: str) -> SelectionMetric:
    """``"average"`` | ``"average@<preset>"`` | ``"mAP@<t>"`` -> :class:`SelectionMetric`; anything else
    raises ``ValueError``."""
    from tal_pyg.evaluation.tiou import TIOU_PRESETS

    if name == "average":
        return SelectionMetric(name)
    if name.startswith("average@"):
        preset = name[len("average@"):]
        if preset not in TIOU_PRESETS:
            raise ValueError(f"unknown tIoU preset {preset!r} in {name!r} (one of {', '.join(TIOU_PRESETS)})")
        return SelectionMetric(name, np.asarray(TIOU_PRESETS[preset], dtype=np.float64))
    if name.startswith("mAP@"):
        try:
            t = float(name[len("mAP@"):])
        except ValueError:
            raise ValueError(f"expected mAP@<tIoU>, e.g. mAP@0.5, got {name!r}") from None
        if not 0.0 < t <= 1.0:
            raise ValueError(f"the tIoU threshold of {name!r} must lie in (0, 1]")
        return SelectionMetric(name, np.asarray([t], dtype=np.float64))
    raise ValueError(f"expected 'average', 'average@<tIoU preset>' or 'mAP@<tIoU>', got {name!r}")
