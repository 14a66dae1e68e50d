"""`portgate demo --community --once`: a hub and two terminals, the story, its self-check.

The run starts three `portgate api` processes, three mosquittos (the terminals bridged to
the hub's over TLS) and three SQLite databases, plays the story once and stops; a miss is
named in one line and makes the exit code 1 (shown on the story's checker alone).
"""

from __future__ import annotations

import socket
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from portgate.broker.process import BrokerMissingError, find_mosquitto
from portgate.demo.community.installations import DemoCommunity
from portgate.demo.community.runner import report_outcomes
from portgate.demo.community.story import Story

PORTGATE = Path(sys.executable).parent / "portgate"


def _three_free_ports() -> int:
    """A base port whose next two are free as well (the terminals' APIs)."""
    for _ in range(50):
        with ExitStack() as stack:
            first = stack.enter_context(socket.socket())
            first.bind(("127.0.0.1", 0))
            base = int(first.getsockname()[1])
            try:
                for offset in (1, 2):
                    stack.enter_context(socket.socket()).bind(("127.0.0.1", base + offset))
            except OSError:
                continue
            return base
    raise RuntimeError("no three free ports in a row")


def _community_once(base: int, data_dir: Path) -> subprocess.CompletedProcess[str]:
    try:
        find_mosquitto()
    except BrokerMissingError:
        pytest.skip("mosquitto is not installed")
    return subprocess.run(  # noqa: S603 (the project's own CLI)
        [str(PORTGATE), "demo", "--community", "--once", "--port", str(base)]
        + ["--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )


def _all_free(base: int) -> None:
    for offset in range(3):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", base + offset))


@pytest.mark.integration
@pytest.mark.slow
def test_community_once_holds_every_announced_outcome_and_stops(tmp_path: Path) -> None:
    base = _three_free_ports()
    run = _community_once(base, tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    for n, member in enumerate(("hub", "term-a", "term-b")):
        assert f"{member:<7} dashboard http://127.0.0.1:{base + n}/dashboard" in output
    assert "ok: term-a gate: port_ban" in output
    assert "ok: term-b gate: port_ban" in output
    assert "ok: the report at the hub: 1" in output
    assert "ok: the report at term-b: 0" in output
    assert "self-check: all 8 expected outcomes held" in output, output[-6000:]
    assert "EXPECTED" not in output
    _all_free(base)  # everything stopped
    [run_dir] = tmp_path.iterdir()
    assert sorted(p.name for p in run_dir.glob("*.db")) == ["hub.db", "term-a.db", "term-b.db"]


@pytest.mark.integration
@pytest.mark.slow
def test_a_port_in_use_is_one_clear_error_and_stops_the_rest(tmp_path: Path) -> None:
    base = _three_free_ports()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base))  # the hub's API port
        taken.listen()
        run = _community_once(base, tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-6000:]
    assert f"portgate demo --community: portgate api did not start on port {base}" in output
    assert "self-check" not in output, "no story on a community that did not start"
    _all_free(base)


def test_a_miss_is_named_in_one_line_and_the_exit_code_is_1(tmp_path: Path) -> None:
    lines: list[str] = []
    community = DemoCommunity(run_dir=tmp_path, base_port=1, say=lines.append)
    story = Story(community, say=lines.append, timeout_s=0.2)
    story.expect("term-b gate", "port_ban", lambda: "granted")
    story.expect("term-a gate", "port_ban", lambda: "port_ban")
    assert report_outcomes(story, lines.append) == 1
    assert "  MISS: term-b gate: EXPECTED port_ban, GOT granted" in lines
    assert "[demo]   term-b gate: EXPECTED port_ban, GOT granted" in lines
    assert "[demo] self-check: 1 of 2 expected outcomes did not hold:" in lines
    held = Story(community, say=lines.append)
    held.expect("term-a gate", "granted", lambda: "granted")
    assert report_outcomes(held, lines.append) == 0
