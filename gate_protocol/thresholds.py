"""The shipped face-distance thresholds, shared by biometrics, the API and the agents.

They live in the wire contract because a gate's policy (and its replica) carries them, and
the central API must judge a reported face distance exactly as the agent did.
"""

__all__ = [
    "DEFAULT_IDENTIFY_THRESHOLD",
    "DEFAULT_VERIFY_THRESHOLD",
    "WATCHLIST_AGREEMENT_THRESHOLD",
    "WATCHLIST_THRESHOLD",
]

# 1:1 verification (badge or pass + face): the largest distance (0.001 steps) that lets at
# most 0.1% of the impostor pairs of half of the LFW dev people through, half the 0.2%
# false-accept budget, for templates and the agent's probes alike; 5-point alignment with
# the enrollment's alignment jitter (issue 21.1), see docs/biometrics.md.
DEFAULT_VERIFY_THRESHOLD = 0.532
# 1:N identification (face only) is stricter: a false match there opens for a stranger.
DEFAULT_IDENTIFY_THRESHOLD = 0.42
# The watchlist check compares every face a gate encodes with every watchlist entry (up to
# 10,000), so a per-pair false match must be far rarer than for 1:N identification: where
# the exponential tail fitted to impostor distances of half of the LFW dev identities
# reaches 1e-7, checked on the other half (bench/select_watchlist_threshold.py,
# bench/bench_watchlist.py, docs/biometrics.md "Watchlist threshold and rule").
WATCHLIST_THRESHOLD = 0.255
# A face track's frames (alarms for faces in view): two of its encodings must each be within
# this of the same entry. Both values are re-selected with one command after a change of
# the face pipeline: .venv/bin/python -m bench.select_watchlist_threshold --write.
WATCHLIST_AGREEMENT_THRESHOLD = 0.255
