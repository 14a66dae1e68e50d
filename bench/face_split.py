"""Threshold chosen on one half of the LFW dev people, measured on the other half.

The 263 people of ../shared/data/lfw-dev are split by a hash of their names (as
bench/bench_watchlist.py does): the threshold is the largest one, in steps of 0.001, that
lets at most 0.1% of the tuning half's impostor pairs through (every pair of images of two
different tuning people; ``rule``; ``tuned`` is the interpolated 0.1% quantile), and
the genuine accepts and false accepts at it are counted on the held-out half only (its
listed same-person pairs; every pair of images of two different held-out people).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SplitResult", "best_accuracy", "halves", "largest_threshold", "split_threshold"]


@dataclass(frozen=True)
class SplitResult:
    """What the split gives for one kind of probe against enrollment templates."""

    tuned: float  # the tuning half's 0.1% impostor quantile
    rule: float  # the largest 0.001 step with at most 0.1% of the tuning impostors below
    tuning_impostors: int
    held_genuine: int
    held_impostors: int
    genuine_accepts: float  # held-out, at the given threshold
    false_accepts: float
    false_accept_count: int


def halves(images: list[str]) -> np.ndarray:
    """0 (tuning) or 1 (held out) for each image, by a hash of its person's name."""
    return np.array([hashlib.sha256(Path(i).parent.name.encode()).digest()[0] % 2 for i in images])


def largest_threshold(impostors: np.ndarray, *, far: float = 0.001, step: float = 0.001) -> float:
    """The largest multiple of ``step`` below which at most ``far`` of the impostors fall.

    A pair matches when its distance is below the threshold, so at most
    ``floor(far * n)`` impostor distances may be smaller than it.
    """
    ordered = np.sort(impostors)
    allowed = int(np.floor(far * len(ordered) + 1e-9))
    limit = ordered[allowed] if allowed < len(ordered) else np.inf
    # The largest grid value t with t <= limit: then fewer than allowed + 1 are below t.
    return float(np.floor(limit / step + 1e-9) * step)


def _pair_distances(templates: np.ndarray, probes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    diff = templates[rows[:, 0]].astype(np.float64) - probes[rows[:, 1]].astype(np.float64)
    dist = np.sqrt((diff * diff).sum(axis=1))
    return np.where(np.isnan(dist), np.inf, dist)


def _impostor_rows(images: list[str], members: np.ndarray, *, both: bool) -> np.ndarray:
    people = np.array([Path(i).parent.name for i in images])
    a, b = np.triu_indices(len(members), k=1)
    rows = np.stack([members[a], members[b]], axis=1)
    rows = rows[people[rows[:, 0]] != people[rows[:, 1]]]
    return np.concatenate([rows, rows[:, ::-1]]) if both else rows


def split_threshold(
    templates: np.ndarray,
    probes: np.ndarray,
    images: list[str],
    genuine: list[tuple[int, int]],
    *,
    both: bool,
    threshold: float,
) -> SplitResult:
    """Tune on half 0, count on half 1 at ``threshold`` (usually the tuned one, rounded)."""
    half = halves(images)
    tune_rows = _impostor_rows(images, np.flatnonzero(half == 0), both=both)
    held_rows = _impostor_rows(images, np.flatnonzero(half == 1), both=both)
    tuning = _pair_distances(templates, probes, tune_rows)
    tuned = float(np.quantile(tuning, 0.001))
    held_gen = np.array([(a, b) for a, b in genuine if half[a] == 1])
    if both:
        held_gen = np.concatenate([held_gen, held_gen[:, ::-1]])
    gen = _pair_distances(templates, probes, held_gen)
    imp = _pair_distances(templates, probes, held_rows)
    return SplitResult(
        tuned=tuned,
        rule=largest_threshold(tuning),
        tuning_impostors=len(tune_rows),
        held_genuine=len(gen),
        held_impostors=len(imp),
        genuine_accepts=float(np.mean(gen < threshold)),
        false_accepts=float(np.mean(imp < threshold)),
        false_accept_count=int(np.sum(imp < threshold)),
    )


def best_accuracy(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Best share of correct decisions over all thresholds (eval-faces' figure)."""
    values = np.concatenate([genuine, impostor])
    labels = np.concatenate([np.ones(len(genuine)), np.zeros(len(impostor))])
    return max(float(np.mean((values <= t) == labels)) for t in np.unique(values))
