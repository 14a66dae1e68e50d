"""Agent dead while people badge: every read made during the outage is accounted for.

Three gates under a badge-reading crowd; the agents of g01 (its lane fail-safe) and g02
(fail-secure) are killed -9 and restarted a few seconds later. While an agent is away its
bridge answers each read with the lane's fail mode and keeps it (firmware_bridge
agent_watch); afterwards every read the crowd made is either an event in its agent's outbox
or a read its bridge kept, nothing is lost or doubled, and no command opened twice or late.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.faults.fleet import Fleet, running
from testkit.faults.history import check_history
from testkit.faults.report import account_reads, drained, figures_line
from testkit.mosquitto import mosquitto_available
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

SCALE = float(os.environ.get("PORTGATE_FAULT_SCALE", "1"))
VICTIMS = ("g01", "g02")


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    with running(
        Fleet(workdir=tmp_path, gates=3, people=30, period_s=0.3, fail_modes={"g01": "safe"})
    ) as fleet:
        yield fleet


def _agent_present(fleet: Fleet, gate: str) -> bool:
    bridge = next(b for b in fleet.bridges if b.gate == gate)
    return bridge.bridge.agent_watch.present


def test_every_read_while_an_agent_is_dead_is_accounted_for(fleet: Fleet) -> None:
    assert fleet.crowd is not None
    fleet.crowd.start()
    assert wait_until(lambda: all(_agent_present(fleet, g) for g in VICTIMS), 30)
    time.sleep(4 * SCALE)
    for gate in VICTIMS:
        fleet.agents[gate].kill9()
    assert wait_until(lambda: not any(_agent_present(fleet, g) for g in VICTIMS), 10), (
        "the bridges never heard that their agents died"
    )
    time.sleep(5 * SCALE)
    restarted = time.monotonic()
    for gate in VICTIMS:
        fleet.agents[gate].start()
    assert wait_until(lambda: all(_agent_present(fleet, g) for g in VICTIMS), 60)
    recover_s = time.monotonic() - restarted
    time.sleep(4 * SCALE)
    fleet.crowd.stop()
    assert wait_until(lambda: drained(fleet), 90, interval=0.2), "events still on their way"
    fleet.stop()

    history = check_history(fleet, outages=[])
    reads = account_reads(fleet)
    line = figures_line(
        "agent dead while people badge",
        history,
        scale=SCALE,
        recover_s=recover_s,
        extra=(
            f"reads {reads.presented}: by the agents {reads.by_agent}, "
            f"kept by the bridges {dict(reads.by_bridge)}, unaccounted {reads.unaccounted}"
        ),
    )
    print(line)  # noqa: T201 (the figures, in the test log)
    assert not history.violations(), f"{line}\n{history.violations()}"
    assert not reads.mismatches, f"{line}\n{reads.mismatches}"
    assert history.events_stored == history.events_recorded > 0
    assert reads.by_bridge["refused"] > 0, "no read met g02's fail-secure lane"
    assert reads.by_bridge["opened"] > 0, "no read met g01's fail-safe lane"
