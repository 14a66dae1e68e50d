"""Select the watchlist thresholds again, in one command, on the tuning half of LFW.

usage: .venv/bin/python -m bench.select_watchlist_threshold [--cache DIR] [--write]

Run it after any change of the face pipeline (alignment, models, stream settings): the
encodings are cached under a key over biometrics' code and model files
(bench/watchlist_data.py), so a changed pipeline is encoded afresh (about 10 minutes of one
core per 466 photos x 7 encodings), never read from a stale cache.

For the one-frame rule (WATCHLIST_THRESHOLD: a decision's encoding, a desk photo) and the
two-frame agreement of a track (WATCHLIST_AGREEMENT_THRESHOLD, chosen on the pessimistic
"two of six frames, same photo" model), each threshold is where the cautious of the two
tail fits (bench/watchlist_stats.py) of the tuning half's impostor scores reaches the
per-pair rate TARGET_P = 1e-7 (<= 1 false hit per 10,000 passages at 1,000 entries),
rounded down to 0.005 and kept under the smallest tuning impostor score. The held-out half
is not read here; bench/bench_watchlist.py reports on it. --write puts the two values into
gate_protocol/thresholds.py.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

import numpy as np

from bench.watchlist_data import DEFAULT_CACHE, ROOT, load_encodings, person_of
from bench.watchlist_rules import RULES, Scores, rule_scores
from bench.watchlist_stats import fit_tail, half_of

TARGET_P = 1e-7
CONSTANTS = {RULES[0]: "WATCHLIST_THRESHOLD", RULES[2]: "WATCHLIST_AGREEMENT_THRESHOLD"}
THRESHOLDS_PY = ROOT / "gate_protocol" / "thresholds.py"


def halves(paths: list[Path], encodings: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Row indices of the "tuning" and "held-out" LFW halves and of the "shared" photos."""
    people = np.array([person_of(p) for p in paths])
    is_lfw = np.array(["lfw-dev" in p.parts for p in paths])
    half = np.array([half_of(str(w)) for w in people])
    ok = np.isfinite(encodings["entry"][:, 0])
    return {
        "tuning": np.flatnonzero(is_lfw & (half == 0) & ok),
        "held-out": np.flatnonzero(is_lfw & (half == 1) & ok),
        "shared": np.flatnonzero(~is_lfw & ok),
        "people": people,
    }


def choose(scores: Scores, target: float = TARGET_P) -> tuple[float, dict[str, float]]:
    """The threshold for one rule, and each fit's own point (for the report)."""
    points = {
        kind: fit_tail(scores.impostor, kind).score_at(target) for kind in ("normal", "exponential")
    }
    cautious = min(*points.values(), float(scores.impostor.min()) - 0.01)
    return math.floor(cautious * 200) / 200, points


def write_thresholds(chosen: dict[str, float]) -> None:
    """Replace the constants' values in gate_protocol/thresholds.py."""
    text = THRESHOLDS_PY.read_text()
    for name, value in chosen.items():
        text, count = re.subn(rf"^{name} = [0-9.]+$", f"{name} = {value}", text, flags=re.M)
        if count != 1:
            raise SystemExit(f"{name} not found once in {THRESHOLDS_PY}")
    THRESHOLDS_PY.write_text(text)


def main() -> None:
    """Encode (or read), fit the tuning half, print (and with --write store) the choice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--write", action="store_true", help="store in thresholds.py")
    args = parser.parse_args()
    paths, encodings = load_encodings(args.cache)
    rows = halves(paths, encodings)
    tuning = rows["tuning"]
    people = rows["people"]
    print(f"tuning half: {len(set(people[tuning]))} people, {len(tuning)} photos")
    chosen: dict[str, float] = {}
    for scores in rule_scores(encodings, people, tuning):
        threshold, points = choose(scores)
        caught = float(np.mean(scores.genuine <= threshold)) if len(scores.genuine) else math.nan
        print(
            f"{scores.rule}: {len(scores.impostor)} impostor scores (min"
            f" {scores.impostor.min():.3f}); p = {TARGET_P:g} at {points['normal']:.3f}"
            f" (normal tail), {points['exponential']:.3f} (exponential tail) -> {threshold:.3f};"
            f" tuning genuine caught {caught:.1%} of {len(scores.genuine)}"
        )
        if scores.rule in CONSTANTS:
            chosen[CONSTANTS[scores.rule]] = threshold
    for name, value in chosen.items():
        print(f"{name} = {value}")
    if args.write:
        write_thresholds(chosen)
        print(f"written to {THRESHOLDS_PY.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
