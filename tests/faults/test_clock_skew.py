"""Clock skew: one edge box 10 minutes fast, another 10 minutes slow, under load.

g01's agent runs with its host clock +600 s, g02's with -600 s (testkit/faults/skewed_agent.py),
g03's is right; the bridges and the API keep true time. Each skewed agent measures its
clock against the API's (HTTP Date of every answer), raises the ``fault`` alarm "clock
skew" (it reaches the API) and decides and records on the API's time (docs/agent.md, "Clock
skew"): its events carry true times, and its signed commands are accepted by a bridge that
allows no skew at all (``expiry_skew_s: 0``), so the gates open, none late or twice.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testkit.faults.fleet import Fleet
from testkit.faults.history import check_history
from testkit.faults.report import drained, figures_line
from testkit.faults.skewed_agent import skew_agent
from testkit.mosquitto import mosquitto_available
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

SCALE = float(os.environ.get("PORTGATE_FAULT_SCALE", "1"))
SKEWS = {"g01": 600.0, "g02": -600.0}


@pytest.fixture
def skewed(tmp_path: Path) -> Iterator[tuple[Fleet, float]]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    fleet = Fleet(workdir=tmp_path, gates=3, people=30, period_s=0.3)
    try:
        fleet.start()
        skewed_at = time.monotonic()
        for gate, offset in SKEWS.items():
            fleet.agents[gate].stop()
            skew_agent(fleet.agents[gate], offset)
            fleet.agents[gate].start()
        fleet.wait_replicas()
        yield fleet, skewed_at
    finally:
        fleet.stop()


def _skew_alarms(fleet: Fleet) -> dict[str, str]:
    with sqlite3.connect(fleet.database_path) as db:
        rows = db.execute(
            "SELECT gate_id, detail FROM alarm WHERE kind = 'fault' AND detail LIKE 'clock skew%'"
        )
        return {str(g): str(d) for g, d in rows}


def _event_times(fleet: Fleet, gate: str) -> list[float]:
    with sqlite3.connect(fleet.database_path) as db:
        rows = db.execute("SELECT occurred_at FROM access_event WHERE gate_id = ?", (gate,))
        return [datetime.fromisoformat(str(t)).replace(tzinfo=UTC).timestamp() for (t,) in rows]


def test_agents_ten_minutes_fast_or_slow_decide_on_the_api_time_and_alarm(
    skewed: tuple[Fleet, float],
) -> None:
    fleet, skewed_at = skewed
    assert fleet.crowd is not None
    started = time.time()
    assert wait_until(lambda: set(_skew_alarms(fleet)) == set(SKEWS), 60), _skew_alarms(fleet)
    # From the skewed agents' start to both alarms stored (the agents' start-up included).
    detected_s = time.monotonic() - skewed_at
    fleet.crowd.start()
    time.sleep(8 * SCALE)
    fleet.crowd.stop()
    assert wait_until(lambda: drained(fleet), 90, interval=0.2), "events still on their way"
    ended = time.time()
    fleet.stop()

    history = check_history(fleet, outages=[])
    alarms = _skew_alarms(fleet)
    line = figures_line(
        "clock skew ±600 s",
        history,
        scale=SCALE,
        recover_s=detected_s,
        extra=f"alarms {alarms}",
    )
    print(line)  # noqa: T201 (the figures, in the test log)
    assert not history.violations(), f"{line}\n{history.violations()}"
    assert history.events_stored == history.events_recorded > 0
    assert "ahead of" in alarms["g01"] and "behind" in alarms["g02"]
    assert "g03" not in alarms
    for gate in ("g01", "g02", "g03"):
        times = _event_times(fleet, gate)
        assert times, f"no events at {gate}"
        assert all(started - 5 <= t <= ended + 5 for t in times), f"{gate} events off true time"
        opened = [b for b in fleet.bridges if b.gate == gate][0].tap.opened()
        assert opened, f"no opening at {gate}: its commands were refused"
