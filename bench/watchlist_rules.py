"""The watchlist rules measured, as scores over one half of the people.

A rule's score for (entry, passage) is what the rule compares with its threshold:

* ``one frame``: the distance of one passage encoding (the photo or one altered copy);
* ``two frames, same photo``: the larger distance of the photo and one altered copy of it
  (two encodings of one moment, as consecutive video frames are; alterations differ more
  than consecutive frames do, so this is the nearer model of a gate's track);
* ``two of six frames, same photo``: the second smallest distance of the photo and its
  five altered copies (a track keeps up to four frames, any two of which may agree: more
  chances for a stranger, and for the person);
* ``any of six frames, same photo``: the smallest of those six distances (the rule a track
  had before: every frame a fresh chance, for comparison);
* ``two frames, two photos``: the larger distance of two different photos of the person
  (independent frames: the optimistic model; a gate's frames lie between the two).

Impostor scores pair an entry with passages of another person; genuine scores pair it with
another photo of its own person (never the entry's own photo).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt

from bench.watchlist_data import PASSAGE_KINDS
from bench.watchlist_stats import Floats, distance_matrix

RULES = (
    "one frame",
    "two frames, same photo",
    "two of six frames, same photo",
    "two frames, two photos",
    "any of six frames, same photo",
)
ALTERED = PASSAGE_KINDS[1:]


@dataclass(frozen=True)
class Scores:
    """One rule's impostor and genuine scores over one half of the people."""

    rule: str
    impostor: Floats
    genuine: Floats


def _masks(who: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    same = who[:, None] == who[None, :]
    genuine = same.copy()
    np.fill_diagonal(genuine, False)
    return ~same, genuine


def _finite(values: Floats) -> Floats:
    kept: Floats = values[np.isfinite(values)]
    return kept


def rule_scores(
    encodings: dict[str, npt.NDArray[np.float32]],
    people: npt.NDArray[np.str_],
    rows: npt.NDArray[np.intp],
) -> list[Scores]:
    """Every rule's scores among `rows` (the photos of one half)."""
    who = people[rows]
    entries = encodings["entry"][rows]
    other, genuine = _masks(who)
    plain = distance_matrix(entries, encodings["plain"][rows])
    altered = {k: distance_matrix(entries, encodings[k][rows]) for k in ALTERED}
    one_imp = [plain[other]] + [d[other] for d in altered.values()]
    one = Scores(RULES[0], _finite(np.concatenate(one_imp)), _finite(plain[genuine]))
    same_imp = [np.maximum(plain, d)[other] for d in altered.values()]
    same_gen = [np.maximum(plain, d)[genuine] for d in altered.values()]
    same = Scores(RULES[1], _finite(np.concatenate(same_imp)), _finite(np.concatenate(same_gen)))
    ordered = np.sort(np.stack([plain, *altered.values()]), axis=0)
    six = Scores(RULES[2], _finite(ordered[1][other]), _finite(ordered[1][genuine]))
    anyone = Scores(RULES[4], _finite(ordered[0][other]), _finite(ordered[0][genuine]))
    return [one, same, six, _two_photos(plain, who), anyone]


def _two_photos(plain: Floats, who: npt.NDArray[np.str_]) -> Scores:
    impostor, genuine = [], []
    for person in np.unique(who):
        photos = np.flatnonzero(who == person)
        if len(photos) < 2:
            continue
        for a, b in combinations(photos, 2):
            both = np.maximum(plain[:, a], plain[:, b])
            strangers = who != person
            impostor.append(both[strangers])
            # Genuine: an entry photo of the person that is neither of the two frames.
            own = np.setdiff1d(photos, [a, b])
            genuine.append(both[own])
    empty = np.empty(0)
    return Scores(
        RULES[3],
        _finite(np.concatenate(impostor) if impostor else empty),
        _finite(np.concatenate(genuine) if genuine else empty),
    )
