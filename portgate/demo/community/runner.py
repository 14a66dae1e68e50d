"""Run the demo community: start it, tell where everything is, play the story, stop it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from portgate.demo.community.installations import DemoCommunity
from portgate.demo.community.story import Story

__all__ = ["report_outcomes", "run_community"]

_log = logging.getLogger(__name__)


def _announce(community: DemoCommunity, say: Callable[[str], None]) -> None:
    say("")
    say("PortGate demo community is up (logins for this run only, random, shown once):")
    for site in community.installations.values():
        logins = ", ".join(f"{user} / {pw}" for user, pw in site.seed.logins.values())
        say(f"  {site.member_id:<7} dashboard {site.url}/dashboard  logins {logins}")
    say(f"  the driver's badge: {', '.join(t.seed.badge for t in community.terminals)} (A, B)")
    say("")


def report_outcomes(story: Story, say: Callable[[str], None]) -> int:
    """Tell whether every announced outcome held; the exit code (1: one did not)."""
    if not story.failures:
        say(f"[demo] self-check: all {story.checked} expected outcomes held")
        return 0
    missed = len(story.failures)
    say(f"[demo] self-check: {missed} of {story.checked} expected outcomes did not hold:")
    for line in story.failures:
        say(f"[demo]   {line}")
    return 1


def run_community(
    *,
    run_dir: Path,
    port: int,
    once: bool,
    stop: threading.Event,
    duration: float | None,
    say: Callable[[str], None],
) -> int:
    """Start the hub and two terminals, play the story once; the exit code.

    With `once` it stops after the story (0: every announced outcome held, 1: not);
    otherwise it keeps the community up until `stop` is set or `duration` has passed.
    """
    # A line per request and per migration would bury the story's own lines.
    for noisy in ("httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    community = DemoCommunity(run_dir=run_dir, base_port=port, say=lambda t: say(f"[demo] {t}"))
    story = Story(community, say=lambda t: say(f"[demo] {t}"))
    try:
        community.start()
        _announce(community, say)
        story.play()
        code = report_outcomes(story, say)
        if not once:
            say("[demo] the community stays up for the dashboards; Ctrl-C stops everything.")
            stop.wait(duration)
    except (RuntimeError, OSError, httpx.HTTPError) as exc:
        _log.exception("demo community failed")
        say(f"portgate demo --community: {exc}")
        code = 1
    finally:
        say("[demo] stopping")
        community.stop()
    return code
