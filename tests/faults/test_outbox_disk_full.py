"""Full disk on an agent's outbox volume, under load, and space coming back.

g01's outbox lives on a small tmpfs of its own (testkit/faults/small_volume.py, needs root; skipped
where mounting is not allowed); g02 serves its crowd on the ordinary disk. The volume is
filled to the last byte mid-run, left full for a while, then the filler is removed. The agent
raises the ``outbox_full`` alarm (it reaches the API), keeps deciding (presentations denied
while it has no room to record an opening), keeps every row it had (integrity check), and
grants again once space returns; afterwards nothing is lost, doubled or opened late.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate_agent.decision.recorder import DISK_FULL_DETAIL, OUTBOX_FULL_DETAIL
from testkit.faults.fleet import Fleet, running
from testkit.faults.history import check_history
from testkit.faults.report import drained, figures_line
from testkit.faults.small_volume import VolumeUnavailable, fill, small_volume
from testkit.mosquitto import mosquitto_available
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

SCALE = float(os.environ.get("PORTGATE_FAULT_SCALE", "1"))
GATE = "g01"


@dataclass
class _VolumeFleet(Fleet):
    """A fleet whose g01 keeps its outbox on `volume`."""

    volume: Path | None = None

    def outbox_path(self, gate: str) -> Path:
        if gate == GATE and self.volume is not None:
            return self.volume / "outbox.sqlite3"
        return super().outbox_path(gate)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[_VolumeFleet]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    try:
        with small_volume(tmp_path / "vol", size_bytes=8 << 20) as volume:
            fleet = _VolumeFleet(workdir=tmp_path, gates=2, people=30, period_s=0.3)
            fleet.volume = volume
            with running(fleet):
                yield fleet
    except VolumeUnavailable as exc:
        pytest.skip(f"no small volume can be mounted here: {exc}")


def _events(fleet: Fleet) -> list[dict[str, object]]:
    with sqlite3.connect(fleet.outbox_path(GATE)) as db:
        return [json.loads(p) for (p,) in db.execute("SELECT payload FROM events ORDER BY seq")]


def _at(event: dict[str, object]) -> float:
    return datetime.fromisoformat(str(event["occurred_at"])).timestamp()


def _stored_alarms(fleet: Fleet) -> list[str]:
    with sqlite3.connect(fleet.database_path) as db:
        rows = db.execute(
            "SELECT detail FROM alarm WHERE gate_id = ? AND kind = 'outbox_full'", (GATE,)
        )
        return [str(d) for (d,) in rows]


def test_a_full_outbox_volume_denies_alarms_keeps_everything_and_recovers(
    fleet: _VolumeFleet,
) -> None:
    assert fleet.crowd is not None and fleet.volume is not None
    fleet.crowd.start()
    time.sleep(4 * SCALE)
    filler = fill(fleet.volume)
    assert wait_until(lambda: _stored_alarms(fleet), 30), "no outbox_full alarm reached the API"
    time.sleep(5 * SCALE)
    filler.unlink()
    freed = datetime.now(UTC).timestamp()
    started = time.monotonic()
    assert wait_until(
        lambda: any(e["decision"] == "granted" and _at(e) > freed for e in _events(fleet)), 60
    ), "g01 never granted again after space returned"
    recover_s = time.monotonic() - started
    time.sleep(3 * SCALE)
    fleet.crowd.stop()
    assert wait_until(lambda: drained(fleet), 90, interval=0.2), "events still on their way"
    fleet.stop()

    events = _events(fleet)
    refused = [e for e in events if e.get("reason_detail") == OUTBOX_FULL_DETAIL]
    first, last = _at(refused[0]), _at(refused[-1])
    inside = [e for e in events if first <= _at(e) <= last]
    history = check_history(fleet, outages=[])
    line = figures_line(
        "outbox volume full",
        history,
        scale=SCALE,
        recover_s=recover_s,
        extra=f"{len(refused)} presentations denied while full, {len(events)} g01 events",
    )
    print(line)  # noqa: T201 (the figures, in the test log)
    assert not history.violations(), f"{line}\n{history.violations()}"
    assert history.events_stored == history.events_recorded > 0
    # Folding the WAL in can give back room for the ballast while the filler stays: the gate
    # then grants again, each opening recorded first (the checker's unrecorded_openings).
    assert any(e["decision"] == "denied" for e in inside)
    assert len(refused) >= 3, line
    assert DISK_FULL_DETAIL in _stored_alarms(fleet)
    with sqlite3.connect(fleet.outbox_path(GATE)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
