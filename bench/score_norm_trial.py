"""Trial of cohort score normalisation (adaptive S-norm) on the LFW dev halves; not shipped.

usage: .venv/bin/python -m bench.score_norm_trial --cache FILE [--top 50]

FILE is the encodings cache that ``bench/bench_gate_accuracy.py --cache FILE`` writes. A
raw score is the distance between an enrollment template and a probe. The normalised
score subtracts, for each side, the mean of its ``top`` nearest distances to a cohort of
other people's enrollment templates and divides by their spread; the two sides are
averaged (adaptive S-norm). Lower is more alike in both.

The people are split as bench/face_split.py splits them. The pairs of each half are
normalised against the other half's templates, so no pair is scored against its own
people. One threshold for every kind is chosen on the tuning half: the smallest, over the
kinds, of the score below which at most 0.1% of the tuning impostors fall. The held-out
half is counted at it. The raw distances go through the same rule in the same run.
docs/biometrics.md ("third pass") has the figures and why this is not shipped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench.face_split import halves

ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lfw-dev"
KINDS = ("enrollment", "stream followed", "burst")


def distance_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances of every row of ``a`` to every row of ``b`` (inf for NaN rows)."""
    d = np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0))
    return np.where(np.isnan(d), np.inf, d)


def cohort_statistics(to_cohort: np.ndarray, own: np.ndarray, top: int) -> np.ndarray:
    """Mean and spread of each row's ``top`` nearest cohort distances, own person left out.

    ``own[i, j]`` is True where cohort member ``j`` is row ``i``'s own person. Returns a
    (rows, 2) array of mean and standard deviation; NaN for a row with no face (all inf).
    """
    no_face = np.isinf(to_cohort).all(axis=1)
    kept = np.sort(np.where(own, np.inf, to_cohort), axis=1)[:, :top]
    if np.isinf(kept[~no_face]).any():
        raise ValueError(f"the cohort has fewer than {top} other people's templates for a row")
    stats = np.full((len(kept), 2), np.nan)
    faces = kept[~no_face]
    stats[~no_face] = np.stack([faces.mean(axis=1), faces.std(axis=1)], axis=1)
    return stats


def s_norm(raw: np.ndarray, template: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """Adaptive S-norm of raw distances from both sides' cohort statistics."""
    z = (raw - template[:, 0]) / template[:, 1]
    t = (raw - probe[:, 0]) / probe[:, 1]
    return np.asarray((z + t) / 2.0)


def strict_threshold(impostors: np.ndarray, far: float = 0.001) -> float:
    """The score below which at most ``far`` of the impostors fall (accept strictly below)."""
    ordered = np.sort(impostors)
    allowed = int(np.floor(far * len(ordered) + 1e-9))
    return float(ordered[allowed]) if allowed < len(ordered) else float("inf")


def _pairs(
    genuine: np.ndarray, people: np.ndarray, half: np.ndarray, side: int, both: bool
) -> tuple[np.ndarray, np.ndarray]:
    members = np.flatnonzero(half == side)
    a, b = np.triu_indices(len(members), k=1)
    impostors = np.stack([members[a], members[b]], axis=1)
    impostors = impostors[people[impostors[:, 0]] != people[impostors[:, 1]]]
    mates = genuine[half[genuine[:, 0]] == side]
    if both:
        impostors = np.concatenate([impostors, impostors[:, ::-1]])
        mates = np.concatenate([mates, mates[:, ::-1]])
    return mates, impostors


def scores_of(
    cache: dict[str, np.ndarray],
    kind: str,
    people: np.ndarray,
    half: np.ndarray,
    genuine: np.ndarray,
    top: int,
) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """(method, half) -> (genuine scores, impostor scores), for raw and normalised scores."""
    templates = cache["enrollment"].astype(np.float64)
    probes = cache[kind].astype(np.float64)
    raw = distance_matrix(templates, probes)
    out: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    for side in (0, 1):
        cohort = np.flatnonzero(half == 1 - side)
        own = people[:, None] == people[cohort][None, :]
        t_stats = cohort_statistics(distance_matrix(templates, templates[cohort]), own, top)
        p_stats = cohort_statistics(distance_matrix(probes, templates[cohort]), own, top)
        mates, impostors = _pairs(genuine, people, half, side, both=kind != "enrollment")
        for method in ("raw", "s-norm"):
            scored = []
            for rows in (mates, impostors):
                d = raw[rows[:, 0], rows[:, 1]]
                if method == "s-norm":
                    d = s_norm(d, t_stats[rows[:, 0]], p_stats[rows[:, 1]])
                scored.append(np.where(np.isnan(d), np.inf, d))
            out[(method, side)] = (scored[0], scored[1])
    return out


def main() -> None:
    """Print raw against normalised scores, one threshold per method, tuning vs held-out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--top", type=int, default=50)
    args = parser.parse_args()
    if not args.cache.is_file():
        raise SystemExit(f"{args.cache}: run bench/bench_gate_accuracy.py --cache first")
    rows = [line.split("\t") for line in (ROOT / "pairs.tsv").read_text().splitlines()[1:]]
    images = sorted({p for a, b, _ in rows for p in (a, b)})
    index = {name: i for i, name in enumerate(images)}
    genuine = np.array([(index[a], index[b]) for a, b, same in rows if same == "1"])
    people = np.array([Path(i).parent.name for i in images])
    half = halves(images)
    loaded = np.load(args.cache)
    cache = {k: loaded[k.replace(" ", "_")] for k in KINDS}
    scores = {kind: scores_of(cache, kind, people, half, genuine, args.top) for kind in KINDS}
    for method in ("raw", "s-norm"):
        threshold = min(strict_threshold(s[(method, 0)][1]) for s in scores.values())
        print(f"{method} (top {args.top}), one threshold {threshold:.4f} from the tuning half:")
        for kind, s in scores.items():
            (tune_gen, _), (gen, imp) = s[(method, 0)], s[(method, 1)]
            print(
                f"  {kind:16s} tuning GA {np.mean(tune_gen < threshold):6.1%} | held-out GA"
                f" {np.mean(gen < threshold):6.1%} ({len(gen)}), FA {np.mean(imp < threshold):.3%}"
                f" ({int(np.sum(imp < threshold))}/{len(imp)})"
            )


if __name__ == "__main__":
    main()
