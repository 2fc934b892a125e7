r"""Seed statistics: mean ± std over training seeds and the paired interval of a difference.

Two methods trained with the same seeds on the same data give paired results
:math:`(a_s, b_s)_{s=1..n}`. The difference :math:`d_s = a_s - b_s` removes the share of the seed
noise both runs have in common (same data order, same initialisation of the host). With
:math:`\bar d` and the sample standard deviation :math:`s_d` (``n - 1`` in the denominator),
the two-sided paired-t confidence interval at level :math:`1 - \alpha` is

.. math::

    \bar d \pm t_{1 - \alpha/2,\, n - 1} \, \frac{s_d}{\sqrt n},

and the difference is called significant when that interval excludes 0. The Student-t quantile is
computed here (no SciPy dependency) by integrating the t density with Simpson's rule and bisecting
its distribution function. Pure Python: :mod:`tal_pyg.evaluation` imports no torch.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

__all__ = ["PairedDifference", "mean_std", "paired_difference", "student_t_quantile"]


def mean_std(values: Sequence[Optional[float]]) -> Tuple[Optional[float], Optional[float]]:
    """Mean and sample standard deviation (``n - 1``) of the non-``None`` values (std 0 for one value)."""
    vals = [float(v) for v in values if v is not None]
    if not vals:
        return None, None
    m = sum(vals) / len(vals)
    s = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return m, s


def _t_cdf(t: float, df: int, intervals: int = 4000) -> float:
    """``P(T <= t)`` for Student's t with ``df`` degrees of freedom (Simpson's rule on ``[0, |t|]``)."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def pdf(x: float) -> float:
        return math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))

    a = abs(t)
    if a == 0.0:
        return 0.5
    h = a / intervals
    total = pdf(0.0) + pdf(a)
    for i in range(1, intervals):
        total += (4 if i % 2 else 2) * pdf(i * h)
    half = min(total * h / 3, 0.5)
    return 0.5 + half if t > 0 else 0.5 - half


def student_t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df >= 1`` degrees of freedom (``0.5 < p < 1``)."""
    if not 0.5 < p < 1.0:
        raise ValueError(f"p must be in (0.5, 1), got {p}")
    if df < 1:
        raise ValueError(f"df must be >= 1, got {df}")
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class PairedDifference:
    """``treatment - baseline`` over paired seeds.

    Attributes:
        n: number of pairs; mean, std: of the differences; low, high: the paired-t interval at
        ``confidence``; significant: the interval excludes 0 (``False`` for fewer than 2 pairs).
    """

    n: int
    mean: float
    std: float
    low: Optional[float]
    high: Optional[float]
    confidence: float
    significant: bool

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def format(self, digits: int = 1) -> str:
        """``+1.2 [−0.3, +2.7]`` (or ``+1.2 (1 seed)``)."""
        if self.low is None or self.high is None:
            return f"{self.mean:+.{digits}f} ({self.n} seed{'s' if self.n != 1 else ''}, no interval)"
        return f"{self.mean:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"


def paired_difference(treatment: Sequence[float], baseline: Sequence[float],
                      confidence: float = 0.95) -> PairedDifference:
    """Paired-t interval of ``treatment[s] - baseline[s]`` (same seeds, same order).

    Raises ``ValueError`` for sequences of different lengths or without any pair.
    """
    if len(treatment) != len(baseline):
        raise ValueError(f"paired_difference: {len(treatment)} treatment vs {len(baseline)} baseline values")
    if not treatment:
        raise ValueError("paired_difference: no pairs")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    diffs = [float(a) - float(b) for a, b in zip(treatment, baseline)]
    n = len(diffs)
    m, s = mean_std(diffs)
    assert m is not None and s is not None
    if n < 2:
        return PairedDifference(n, m, s, None, None, confidence, False)
    half = student_t_quantile(1 - (1 - confidence) / 2, n - 1) * s / math.sqrt(n)
    low, high = m - half, m + half
    return PairedDifference(n, m, s, low, high, confidence, bool(low > 0 or high < 0))
