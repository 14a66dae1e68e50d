"""`portgate demo --once`: the scripted scenarios run once and check their own outcomes.

The default run enrolls the shipped face photos (no ../shared needed), so the face step and
liveness are on at the staff gate (its camera shows live sessions synthesised from the
photos, and a printed photo in the attack scenario) and every announced outcome holds;
given no photos, the face-mismatch scenario is granted, and the demo says so in one line
and exits 1.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from portgate.broker.process import BrokerMissingError, find_mosquitto

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PORTGATE = Path(sys.executable).parent / "portgate"
# The script's pause between steps is for people watching (2.5 s): each step waits for its
# own outcome, and the same person's face is kept off the camera long enough by the script.
STEP_S = "0.5"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _demo_once(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        find_mosquitto()
    except BrokerMissingError:
        pytest.skip("mosquitto is not installed")
    return subprocess.run(  # noqa: S603 (the project's own CLI)
        [str(PORTGATE), "demo", "--once", "--port", str(_free_port()), "--step-s", STEP_S, *args],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )


def test_once_with_the_shipped_faces_holds_every_announced_outcome() -> None:
    run = _demo_once()
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert "people enrolled from the face photos" in output
    assert "as expected: face_mismatch" in output
    assert "as expected: granted (offline: granted)" in output
    # Liveness is on at the staff gate: the live session is granted with its score shown,
    # and the printed photo is refused.
    assert "staff-gate camera: liveness is checked" in output and "SYNTHESISED" in output
    granted = re.search(
        r"as expected: granted \(\S+ \S+ at the staff turnstile, expect: granted\) "
        r"\[face score [0-9.]+, liveness score ([0-9.]+)\]",
        output,
    )
    assert granted is not None, output[-6000:]
    assert float(granted.group(1)) >= 0.5  # a pass (0.5 and above)
    assert re.search(
        r"as expected: liveness_failed \(\S+ \S+ at the staff turnstile, a printed photo of "
        r".* held up to the camera: expect liveness refusal\) \[face score [0-9.]+, "
        r"liveness score 0\.[0-4]",
        output,
    ), output[-6000:]
    assert "as expected: forced alarm (staff turnstile, the door forced open)" in output
    assert "self-check: all 14 expected outcomes held" in output, output[-6000:]
    assert "EXPECTED" not in output


def test_once_without_faces_names_the_outcome_that_did_not_hold(tmp_path: Path) -> None:
    run = _demo_once("--faces", str(tmp_path))  # an empty folder: synthetic people, no faces
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-6000:]
    assert "face step off" in output
    assert "EXPECTED face_mismatch, GOT granted" in output, output[-6000:]
    assert "self-check: 1 of 13 expected outcomes did not hold" in output
    assert "stopped cleanly" not in output
