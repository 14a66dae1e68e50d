"""The shipped face-distance thresholds, shared by biometrics, the API and the agents.

They live in the wire contract because a gate's policy (and its replica) carries them, and
the central API must judge a reported face distance exactly as the agent did.
"""

__all__ = ["DEFAULT_IDENTIFY_THRESHOLD", "DEFAULT_VERIFY_THRESHOLD"]

# 1:1 verification (badge or pass + face). Chosen on LFW-style pairs; see docs/biometrics.md.
DEFAULT_VERIFY_THRESHOLD = 0.5
# 1:N identification (face only) is stricter: a false match there opens for a stranger.
DEFAULT_IDENTIFY_THRESHOLD = 0.42
