"""The watchlist benchmark's arithmetic: scores, tail fits, intervals, passages.

Every rule measured here is "a score at or under t is a hit": the score of one frame is its
distance to the entry; the score of a two-frame agreement is the larger of the two frames'
distances to the same entry (both must be under t). So each rule has an impostor score
distribution (entry of one person, frames of another) and a genuine one (another photo of
the entry's person), and the same tail fit serves every rule.

Tail fits. A per-pair false-match rate of 1e-7 lies far below what ~10^5 impostor pairs
can show, so the lower tail is fitted and extrapolated. Two fits, both least-squares on
the empirical CDF F of the scores between its 0.1% and 2% quantiles (the tail, not the
bulk, which a normal fitted to all scores follows instead):

* ``normal``: Phi^-1(F(d)) linear in d (a normal with the tail's own mean and spread);
* ``exponential``: log F(d) linear in d (the generalised Pareto tail with shape 0, as
  peaks-over-threshold fits use; its tail falls slower than any normal's, so it is the
  cautious one).

Each fit is checked against the empirical tail below the fitted range (the scores under
the 0.1% and 0.01% quantiles: predicted against counted).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
_STD = NormalDist()
FIT_RANGE = (1e-3, 2e-2)


def half_of(person: str) -> int:
    """The half (0: tuning, 1: held out) a person is in, by a hash of the name."""
    return hashlib.sha256(person.encode()).digest()[0] % 2


def distance_matrix(entries: npt.ArrayLike, probes: npt.ArrayLike) -> Floats:
    """Euclidean distances (len(entries), len(probes)) in float64 (NaN rows stay NaN)."""
    e = np.asarray(entries, np.float64)
    p = np.asarray(probes, np.float64)
    squared = (e * e).sum(1)[:, None] + (p * p).sum(1)[None, :] - 2.0 * e @ p.T
    result: Floats = np.sqrt(np.maximum(squared, 0.0))
    return result


@dataclass(frozen=True)
class TailFit:
    """A fitted lower tail: p(t) = P(score <= t) for an impostor pair."""

    kind: str
    slope: float
    intercept: float

    def rate(self, t: float) -> float:
        """The fitted per-pair rate at t."""
        value = self.intercept + self.slope * t
        return _STD.cdf(value) if self.kind == "normal" else min(1.0, math.exp(value))

    def score_at(self, rate: float) -> float:
        """The score t where the fitted rate is `rate`."""
        value = _STD.inv_cdf(rate) if self.kind == "normal" else math.log(rate)
        return (value - self.intercept) / self.slope


def fit_tail(scores: Floats, kind: str) -> TailFit:
    """Least squares of the transformed empirical CDF on the score over FIT_RANGE."""
    ordered = np.sort(scores[np.isfinite(scores)])
    n = len(ordered)
    cdf = (np.arange(1, n + 1) - 0.5) / n
    chosen = (cdf >= FIT_RANGE[0]) & (cdf <= FIT_RANGE[1])
    x, f = ordered[chosen], cdf[chosen]
    y = np.array([_STD.inv_cdf(v) for v in f]) if kind == "normal" else np.log(f)
    slope, intercept = np.polyfit(x, y, 1)
    return TailFit(kind, float(slope), float(intercept))


def tail_check(scores: Floats, fit: TailFit) -> str:
    """Predicted against counted scores below the fitted range (the fit's own check)."""
    ordered = np.sort(scores[np.isfinite(scores)])
    n = len(ordered)
    parts = []
    for q in (1e-3, 1e-4):
        k = int(q * n)
        if k < 1:
            continue
        t = float(ordered[k - 1])
        parts.append(f"<= {t:.3f}: {k} counted, {fit.rate(t) * n:.1f} predicted")
    low = float(ordered[0])
    parts.append(f"<= min {low:.3f}: 1 counted, {fit.rate(low) * n:.2f} predicted")
    return "; ".join(parts)


def per_10k(p: float, entries: int) -> float:
    """False hits per 10,000 passages when each of `entries` comparisons errs with p."""
    if p >= 1.0:
        return 10_000.0
    return 10_000 * -math.expm1(entries * math.log1p(-p))


def _binom_cdf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0 if k < n else 1.0
    logs = [
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
        for i in range(k + 1)
    ]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact two-sided interval of a binomial rate (k of n), by bisection."""
    alpha = (1 - level) / 2

    def solve(target: float, kk: int) -> float:
        lo, hi = 0.0, 1.0
        for _ in range(80):
            mid = (lo + hi) / 2
            if _binom_cdf(kk, n, mid) > target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    lower = 0.0 if k == 0 else solve(1 - alpha, k - 1)
    upper = 1.0 if k >= n else solve(alpha, k)
    return lower, upper


def rate_text(k: int, n: int, scale: float = 10_000) -> str:
    """`k/n`, as a rate per `scale` with its 95% Clopper-Pearson interval."""
    lo, hi = clopper_pearson(k, n)
    interval = f"95% CI {lo * scale:.2f}-{hi * scale:.2f}"
    return f"{k}/{n} = {k / n * scale:.2f} per {scale:,.0f} ({interval})"
