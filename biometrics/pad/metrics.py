"""ISO/IEC 30107-3 error rates of a presentation-attack detector, from labelled scores (pure).

* APCER of a PAI species: the proportion of attack presentations of that species wrongly
  classified as bona fide presentations.
* The attack's APCER is that of the worst species (the highest), as the standard asks.
* BPCER: the proportion of bona fide presentations wrongly classified as attacks.
* APCER at BPCER <= 5 %: the decision threshold moved on the bona fide scores until at
  most 5 % of them are refused, and each species' APCER at that threshold.

Each rate carries a 95 % Wilson score interval (counts at a gate are small: 20 sessions
of a species give an interval of +-20 points, which the report must not hide).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from biometrics.pad.recording import PresentationLabel

__all__ = [
    "PadReport",
    "Scored",
    "SpeciesResult",
    "pad_report",
    "threshold_at_bpcer",
    "wilson_interval",
]

_Z95 = 1.959963984540054


def wilson_interval(errors: int, total: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion errors/total (default 95 %).

    Args:
        errors: Presentations counted as errors (0 <= errors <= total).
        total: Presentations in all; 0 gives the uninformative interval (0, 1).
        z: The normal quantile of the confidence wanted.

    Returns:
        (low, high), both within [0, 1].
    """
    if not 0 <= errors <= total:
        raise ValueError(f"errors {errors} outside 0..{total}")
    if total == 0:
        return (0.0, 1.0)
    p = errors / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Scored:
    """One presentation: its label, the detector's decision and its score (higher: more live)."""

    label: PresentationLabel
    accepted: bool
    score: float


@dataclass(frozen=True)
class SpeciesResult:
    """The error rate of one group of presentations (a PAI species, or bona fide for BPCER).

    Attributes:
        label: The species (or bona fide).
        total: Presentations of it.
        errors: Attacks accepted as bona fide (APCER) or bona fide refused (BPCER).
        rate: errors / total (0 when total is 0).
        low, high: Its 95 % Wilson interval.
        at_bpcer5: Attacks of the species accepted at the threshold of BPCER <= 5 %
            (None for bona fide).
    """

    label: PresentationLabel
    total: int
    errors: int
    rate: float
    low: float
    high: float
    at_bpcer5: float | None = None


@dataclass(frozen=True)
class PadReport:
    """The ISO/IEC 30107-3 figures of one evaluation.

    Attributes:
        species: APCER per PAI species present, in label order.
        bpcer: BPCER of the bona fide presentations.
        worst: The species with the highest APCER (the attack's APCER), None without attacks.
        threshold_bpcer5: The score threshold at which BPCER <= 5 %.
        bpcer_at_threshold: BPCER at that threshold (<= 5 %).
    """

    species: tuple[SpeciesResult, ...]
    bpcer: SpeciesResult
    worst: SpeciesResult | None
    threshold_bpcer5: float
    bpcer_at_threshold: float

    @property
    def apcer(self) -> float:
        """The attack's APCER: that of the worst species (0 without attacks)."""
        return self.worst.rate if self.worst is not None else 0.0

    @property
    def apcer_at_bpcer5(self) -> float:
        """The worst species' APCER at the threshold of BPCER <= 5 %."""
        return max((s.at_bpcer5 or 0.0 for s in self.species), default=0.0)


def threshold_at_bpcer(bona_fide_scores: Sequence[float], max_bpcer: float = 0.05) -> float:
    """The highest score threshold that refuses at most `max_bpcer` of the bona fide scores.

    A presentation is accepted when its score is at least the threshold. With n bona fide
    scores, floor(max_bpcer * n) of the lowest may be refused; ties at the threshold are
    accepted, so the BPCER reached never exceeds `max_bpcer`.
    """
    if not bona_fide_scores:
        raise ValueError("no bona fide scores to set a threshold on")
    ordered = sorted(bona_fide_scores)
    return ordered[math.floor(max_bpcer * len(ordered) + 1e-9)] if max_bpcer < 1 else math.inf


def _result(
    label: PresentationLabel, total: int, errors: int, at_bpcer5: float | None = None
) -> SpeciesResult:
    low, high = wilson_interval(errors, total)
    rate = errors / total if total else 0.0
    return SpeciesResult(label, total, errors, rate, low, high, at_bpcer5)


def pad_report(presentations: Sequence[Scored], max_bpcer: float = 0.05) -> PadReport:
    """The ISO/IEC 30107-3 figures of labelled, decided and scored presentations.

    Raises:
        ValueError: no bona fide presentation (BPCER and the threshold need them).
    """
    bona = [p for p in presentations if p.label is PresentationLabel.BONA_FIDE]
    if not bona:
        raise ValueError("no bona fide presentations: BPCER cannot be measured")
    threshold = threshold_at_bpcer([p.score for p in bona], max_bpcer)
    species = []
    for label in PresentationLabel:
        shown = [p for p in presentations if p.label is label]
        if label is PresentationLabel.BONA_FIDE or not shown:
            continue
        passing = sum(p.score >= threshold for p in shown) / len(shown)
        species.append(_result(label, len(shown), sum(p.accepted for p in shown), passing))
    refused = sum(not p.accepted for p in bona)
    worst = max(species, key=lambda s: (s.rate, s.errors), default=None)
    return PadReport(
        species=tuple(species),
        bpcer=_result(PresentationLabel.BONA_FIDE, len(bona), refused),
        worst=worst,
        threshold_bpcer5=threshold,
        bpcer_at_threshold=sum(p.score < threshold for p in bona) / len(bona),
    )
