"""The watchlist screen: false hits per 10,000 passages, catch rate, extra time per face.

usage: .venv/bin/python bench/bench_watchlist.py [--cache DIR] [--repeats 200]

Every face a gate encodes is compared with every watchlist entry, so a false hit (a
rightful badge holder denied as somebody on the watchlist) must be very rare per
comparison: at 1,000 entries, at most 1 false hit per 10,000 passages needs a per-pair
false-match rate p <= 1e-7 (false hits per passage = 1 - (1 - p)^entries).

Data (bench/watchlist_data.py): the 444 LFW dev images (263 people) and the 22 shared
photos, each encoded as a watchlist entry (ENROLLMENT_PIPELINE) and as gate passages
(FaceStream(BURST_STREAM)), both aligned on the configured landmarks (5 points unless
PORTGATE_FACE_LANDMARKS=68): the photo and five altered copies (mirrored, cropped, blurred,
JPEG, darker) as extra passages, never extra identities. The LFW people are split in two
halves by a hash of their names; the thresholds are chosen on the tuning half
(bench/select_watchlist_threshold.py, re-run there in this run and printed next to the
shipped values); every false-hit and catch figure here is on the held-out half (or the
shared photos), never tuned on.

Per rule (bench/watchlist_rules.py), on the held-out half: impostor scores under the
threshold counted (95% Clopper-Pearson interval per pair), the tail fits of the impostor
scores (bench/watchlist_stats.py) checked against the counted tail, and from the cautious
fit the false hits per 10,000 passages at 1,000 and 10,000 entries -- an EXTRAPOLATION far
below what ~10^5 pairs can show, labelled so -- and the genuine passages caught. Then
passages simulated directly: each held-out passage against 1,000 gallery rows drawn from
the other held-out people's encodings (141 people, not 1,000 distinct identities: LFW dev
has 263 people in all, so 1,000 or 10,000 distinct entries cannot be built from it), at
the shipped threshold and at a looser one where hits are countable (the check of the
1 - (1 - p)^N step). Time: WatchlistGallery.screen of one encoding against 1,000, 10,000
and 100,000 entries (median of --repeats), next to the same run's 1:1 comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from bench.select_watchlist_threshold import CONSTANTS, choose, halves
from bench.watchlist_data import DEFAULT_CACHE, FACES, PASSAGE_KINDS, load_encodings
from bench.watchlist_rules import RULES, Scores, rule_scores
from bench.watchlist_stats import distance_matrix, fit_tail, per_10k, rate_text, tail_check
from biometrics import BURST_STREAM, FaceStream, WatchlistGallery, load_image, verify
from gate_protocol.thresholds import WATCHLIST_AGREEMENT_THRESHOLD, WATCHLIST_THRESHOLD

SHIPPED = {"WATCHLIST_THRESHOLD": WATCHLIST_THRESHOLD}
SHIPPED["WATCHLIST_AGREEMENT_THRESHOLD"] = WATCHLIST_AGREEMENT_THRESHOLD


def threshold_of(rule: str) -> float:
    """The shipped threshold a rule runs at (agreement rules at the agreement one)."""
    return WATCHLIST_THRESHOLD if rule in (RULES[0], RULES[4]) else WATCHLIST_AGREEMENT_THRESHOLD


def median_ms(call: Callable[[], object], repeats: int) -> float:
    """The median wall time of `call`, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def report_rule(scores: Scores) -> dict[str, float]:
    """One rule on the held-out half: counted, fitted (extrapolated), caught."""
    t = threshold_of(scores.rule)
    imp, n = scores.impostor, len(scores.impostor)
    under = int(np.sum(imp <= t))
    print(f"\n[{scores.rule}] at {t} (held-out): impostor scores {n:,} (min {imp.min():.3f})")
    print(f"  counted under the threshold: {rate_text(under, n, 1e7)} pairs")
    fits = {kind: fit_tail(imp, kind) for kind in ("normal", "exponential")}
    for kind, fit in fits.items():
        print(f"  {kind} tail fit, checked: {tail_check(imp, fit)}")
    p = max(fit.rate(t) for fit in fits.values())
    per_1k, per_10k_ = per_10k(p, 1000), per_10k(p, 10_000)
    print(
        f"  EXTRAPOLATED (cautious fit, p = {p:.2e} per pair): false hits per 10,000 passages"
        f" {per_1k:.3f} at 1,000 entries, {per_10k_:.3f} at 10,000 entries"
    )
    gen = scores.genuine
    caught = int(np.sum(gen <= t))
    print(f"  genuine caught: {caught}/{len(gen)} = {caught / max(len(gen), 1):.1%}")
    trade = [
        f"{other}: {per_10k(fits['exponential'].rate(other), 1000):.2f}"
        f" ({per_10k(fits['normal'].rate(other), 1000):.3f}), {np.mean(gen <= other):.1%}"
        for other in (0.27, 0.30, 0.33, 0.36, 0.40)
    ]
    print(
        "  other thresholds: per 10k at 1,000 (exponential (normal)), caught: " + "; ".join(trade)
    )
    return {"per_1k": per_1k, "per_10k": per_10k_, "caught": caught / max(len(gen), 1)}


def simulate(encodings: dict[str, np.ndarray], people: np.ndarray, held: np.ndarray) -> None:
    """Held-out passages against 1,000 rows of other held-out people, counted directly."""
    kinds = ("entry", *PASSAGE_KINDS)
    pool = np.concatenate([encodings[k][held] for k in kinds])
    who = np.tile(people[held], len(kinds))
    keep = np.isfinite(pool[:, 0])
    pool, who = pool[keep], who[keep]
    probes = np.concatenate([encodings[k][held] for k in PASSAGE_KINDS])
    probe_who = np.tile(people[held], len(PASSAGE_KINDS))
    fine = np.isfinite(probes[:, 0])
    probes, probe_who = probes[fine], probe_who[fine]
    dist = distance_matrix(pool, probes)
    rng = np.random.default_rng(18)
    nearest = np.empty(len(probes))
    pair_scores = []
    for j in range(len(probes)):
        rows = rng.choice(np.flatnonzero(who != probe_who[j]), 1000, replace=False)
        nearest[j] = dist[rows, j].min()
        pair_scores.append(dist[rows, j])
    pairs = np.concatenate(pair_scores)
    loose = float(np.quantile(pairs, 1e-4))
    print(
        f"\ndirect passages: {len(probes)} held-out passages, each against 1,000 rows drawn from"
        f" the other held-out people's {len(pool)} encodings ({len(set(who))} people)"
    )
    for t, label in ((WATCHLIST_THRESHOLD, "shipped"), (loose, "looser, countable")):
        hits = int(np.sum(nearest <= t))
        predicted = per_10k(float(np.mean(pairs <= t)), 1000) * len(probes) / 10_000
        print(
            f"  at {t:.3f} ({label}): false hits {rate_text(hits, len(probes))} passages;"
            f" predicted from the per-pair rate as 1-(1-p)^1000: {predicted:.1f}"
        )


def report_shared(encodings: dict[str, np.ndarray], people: np.ndarray, rows: dict) -> None:  # type: ignore[type-arg]
    """The shared photos (never tuned on): as strangers to LFW, and against their own."""
    lfw = np.concatenate([rows["tuning"], rows["held-out"]])
    shared = rows["shared"]
    t = WATCHLIST_THRESHOLD
    strangers = distance_matrix(encodings["entry"][lfw], encodings["plain"][shared])
    hits = int(np.sum(np.nanmin(strangers, axis=0) <= t))
    own = distance_matrix(encodings["entry"][shared], encodings["plain"][shared])
    who = people[shared]
    genuine = (who[:, None] == who[None, :]) & ~np.eye(len(shared), dtype=bool)
    values = own[genuine]
    values = values[np.isfinite(values)]
    wrong = (who[:, None] != who[None, :]) & (own <= t)
    print(
        f"\nshared photos at {t}: {hits}/{len(shared)} hit among {len(lfw)} LFW entries;"
        f" same person, other photo caught {int(np.sum(values <= t))}/{len(values)};"
        f" another person's entry hit {int(wrong.sum())}"
    )


def report_time(probes: np.ndarray, repeats: int) -> None:
    """Screen time per face at 1k/10k/100k entries next to the 1:1 comparison."""
    rng = np.random.default_rng(5)
    probes = probes[np.isfinite(probes[:, 0])]
    encoding, holder = probes[0], probes[1:4]
    one_to_one = median_ms(lambda: verify(encoding, holder), repeats)
    photo = load_image(FACES / "obama.jpg")
    bgr = np.ascontiguousarray(cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), dtype=np.uint8)
    stream = FaceStream(BURST_STREAM)
    encode_ms = median_ms(lambda: stream.faces(bgr), 3)
    for size in (1000, 10_000, 100_000):
        # Timing does not depend on whose faces they are: real encodings, jittered to size.
        base = probes[rng.integers(0, len(probes), size)]
        matrix = (base + rng.normal(0, 0.02, base.shape)).astype(np.float32)
        gallery = WatchlistGallery.from_matrix([f"e{i}" for i in range(size)], matrix)
        gallery.wait_for_codes(600)  # from ANN_MIN_ROWS on, timed as a gate searches it
        screen_ms = median_ms(lambda g=gallery: g.screen([encoding], threshold=0.4), repeats)
        print(
            f"screen one face against {size} entries: {screen_ms:.3f} ms (1:1 comparison"
            f" {one_to_one:.3f} ms, one gate encoding {encode_ms:.0f} ms, same run)"
        )
        # The goal is set for up to 10,000 entries; 100,000 is reported only.
        goal, met = (
            ("<= 2 ms", "yes" if screen_ms <= 2 else "no") if size <= 10_000 else ("report", "")
        )
        print(
            f"FIGURE watchlist|extra time per face, {size} entries|{screen_ms:.3f}|ms|"
            f"1:1 comparison per face|{one_to_one:.3f}|{goal}|{met}"
        )


def main() -> None:
    """Encode (or read), re-select on the tuning half, evaluate the held-out half, time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    paths, encodings = load_encodings(args.cache)
    print(f"{len(paths)} photos encoded (or read) in {time.perf_counter() - started:.0f} s")
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    rows = halves(paths, encodings)
    people, held = rows["people"], rows["held-out"]
    report_time(encodings["plain"][held], args.repeats)
    for scores in rule_scores(encodings, people, rows["tuning"]):
        if scores.rule in CONSTANTS:
            name = CONSTANTS[scores.rule]
            print(f"tuning half selects {name} = {choose(scores)[0]} (shipped {SHIPPED[name]})")
    print(f"held-out half: {len(set(people[held]))} people, {len(held)} photos")
    figures = {s.rule: report_rule(s) for s in rule_scores(encodings, people, held)}
    simulate(encodings, people, held)
    report_shared(encodings, people, rows)
    one, track = figures[RULES[0]], figures[RULES[2]]
    for label, got in (("one frame", one), ("track, two of its frames", track)):
        met = "yes" if got["per_1k"] <= 1 else "no"
        print(
            f"FIGURE watchlist|false hits per 10k passages, 1,000 entries, {label} (held-out,"
            f" extrapolated)|{got['per_1k']:.3f}|per 10k|goal|1|<= 1|{met}"
        )
        print(
            f"FIGURE watchlist|false hits per 10k passages, 10,000 entries, {label} (held-out,"
            f" extrapolated)|{got['per_10k']:.3f}|per 10k|||report|"
        )
        print(f"FIGURE watchlist|genuine caught, {label}|{got['caught'] * 100:.1f}|%|||report|")


if __name__ == "__main__":
    main()
