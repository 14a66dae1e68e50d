"""Three days offline: a gate cut from the API and the broker for 72 h of simulated time.

One gate's real agent (its outbox and replica files, its workers, its MQTT link trying a
broker that is gone) runs on a clock the test moves (testkit/faults/offline_agent.py):
PORTGATE_FAULT_SCALE x 2,000 badge reads (100,000 at scale 50) arrive spread over 72 h
while the API and mosquitto are stopped. The agent is killed -9 halfway and started again.
Checked: the replica decides while it is younger than the gate's `replica_max_age_s` (24 h)
and denies `replica_too_old` after; the outbox stops at its bound (`outbox.max_unsent`, set
to 95% of the reads here): the gate then denies with "event outbox full", raises the
`outbox_full` alarm and still records the denials in its reserve, so no read goes
unrecorded; across the kill nothing is lost. Then the API and the broker come back and
every event is uploaded: none lost or stored twice (the history checker), in order per
gate; the upload rate (events/s) is a figure, never asserted.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from gate_agent.decision.recorder import OUTBOX_FULL_DETAIL
from testkit.faults.fleet import Fleet, running
from testkit.faults.history import check_history
from testkit.faults.offline_agent import OfflineAgent, date_replica
from testkit.faults.report import drained, figures_line
from testkit.mosquitto import mosquitto_available
from testkit.polling import wait_until

SCALE = float(os.environ.get("PORTGATE_FAULT_SCALE", "1"))
READS = int(2000 * SCALE)
BOUND = int(READS * 0.95)
OUTAGE = timedelta(hours=72)
MAX_AGE = timedelta(hours=24)  # the seeded gate's replica_max_age_s (the default)
IN_FLIGHT = 12  # reads handed to the agent ahead of its records (its decision queue is 16)
GATE = "g01"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.timeout(600 + READS // 20),
]


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    with running(Fleet(workdir=tmp_path, gates=1, people=30)) as fleet:
        yield fleet


def _bound_outbox(fleet: Fleet) -> None:
    config_path = Path(fleet.agents[GATE].args[-1])  # before it becomes an OfflineAgent
    config = yaml.safe_load(config_path.read_text())
    config["outbox"]["max_unsent"] = BOUND
    config_path.write_text(yaml.safe_dump(config))


def _go_offline(fleet: Fleet) -> tuple[OfflineAgent, datetime]:
    """Stop everything but the gate; age its replica to the outage's start; start it there."""
    assert fleet.api is not None and fleet.broker is not None
    fleet.agents[GATE].stop()
    fleet.api.stop()
    fleet.broker.stop()
    start = datetime.now(UTC) - OUTAGE
    replica = fleet.workdir / "agents" / GATE / "replica.json"
    date_replica(replica, start)
    _bound_outbox(fleet)
    agent = OfflineAgent.of(fleet.agents[GATE])
    fleet.agents[GATE] = agent
    agent.start_at(start.timestamp())
    return agent, start


def _recorded(outbox: sqlite3.Connection) -> int:
    (top,) = outbox.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    return int(top)


def _feed(fleet: Fleet, agent: OfflineAgent, start: datetime) -> float:
    """READS reads spread over the outage, a few ahead of the records; kill -9 halfway.

    Returns the seconds it took (the agent's offline recording rate is a figure).
    """
    began = time.monotonic()
    assert fleet.seed is not None
    step = OUTAGE.total_seconds() / READS
    outbox = sqlite3.connect(fleet.outbox_path(GATE), timeout=30)
    try:
        half = READS // 2
        for i in range(READS):
            if i == half:
                assert wait_until(lambda: _recorded(outbox) == half, 120), "reads not recorded"
                agent.kill9()
                agent.start_at(start.timestamp() + i * step)
            while i - _recorded(outbox) >= IN_FLIGHT and agent.running:
                time.sleep(0.002)
            agent.read(start.timestamp() + (i + 1) * step, fleet.seed.badges[i % 30])
        assert wait_until(lambda: _recorded(outbox) == READS, 120), (
            f"{_recorded(outbox)} of {READS} reads recorded"
        )
        return time.monotonic() - began
    finally:
        outbox.close()


def _stored(fleet: Fleet) -> list[sqlite3.Row]:
    with sqlite3.connect(fleet.database_path) as db:
        db.row_factory = sqlite3.Row
        return list(
            db.execute(
                "SELECT agent_seq, occurred_at, decision, reason, reason_detail, decided_by"
                " FROM access_event WHERE gate_id = ? ORDER BY id",
                (GATE,),
            )
        )


def _alarms(fleet: Fleet) -> list[str]:
    with sqlite3.connect(fleet.database_path) as db:
        rows = db.execute(
            "SELECT detail FROM alarm WHERE kind = 'outbox_full' AND gate_id = ?", (GATE,)
        )
        return [str(d) for (d,) in rows]


def _at(row: sqlite3.Row) -> float:
    return datetime.fromisoformat(str(row["occurred_at"])).replace(tzinfo=UTC).timestamp()


def test_three_days_offline_keeps_every_event_applies_the_age_policy_and_uploads_in_order(
    fleet: Fleet,
) -> None:
    assert fleet.api is not None and fleet.broker is not None
    agent, start = _go_offline(fleet)
    feed_s = _feed(fleet, agent, start)
    agent.send("host")
    back = datetime.now(UTC)
    restored = time.monotonic()
    fleet.broker.start()
    fleet.api.start()
    fleet.wait_api()
    api_up = time.monotonic()
    assert wait_until(lambda: drained(fleet), 120 + READS / 20, interval=0.2), "not uploaded"
    upload_s = time.monotonic() - api_up
    fleet.stop()

    history = check_history(fleet, outages=[(start, back)])
    rows = _stored(fleet)
    too_old_at = (start + MAX_AGE).timestamp()
    slack = 2 * IN_FLIGHT * OUTAGE.total_seconds() / READS
    young = [r for r in rows if _at(r) < too_old_at - slack]
    old = [r for r in rows if _at(r) > too_old_at + slack]
    full = [r for r in rows if r["reason_detail"] == OUTBOX_FULL_DETAIL]
    seqs = [int(r["agent_seq"]) for r in rows]
    out_of_order = sum(1 for a, b in zip(seqs, seqs[1:], strict=False) if b < a)
    line = figures_line(
        "three days offline",
        history,
        scale=SCALE,
        recover_s=api_up - restored + upload_s,
        extra=f"{READS} reads over 72 h simulated in {feed_s:.0f} s, kill -9 halfway; "
        f"outbox bound {BOUND}: {len(full)} denied as full; API up {api_up - restored:.1f} s "
        f"after the restart, then {len(rows)} events uploaded in {upload_s:.1f} s "
        f"({len(rows) / upload_s:.0f} events/s); stored out of seq order {out_of_order}",
    )
    print(line)  # noqa: T201 (the figures, in the test log)
    assert not history.violations(), f"{line}\n{history.violations()}"
    assert history.events_stored == history.events_recorded == READS
    assert history.by_decider["replica"] == READS
    # The age policy: the replica grants while young enough, refuses once too old.
    assert young and all(r["decision"] == "granted" for r in young), line
    assert old and all(r["decision"] == "denied" for r in old), line
    assert all(r["reason"] == "replica_too_old" for r in old if r["reason_detail"] is None)
    # The bound: the gate stops at it, says so, records the denials in its reserve.
    # Reads already past the check when the bound was reached are recorded as decided.
    assert full and BOUND < min(int(r["agent_seq"]) for r in full) <= BOUND + IN_FLIGHT, line
    assert all(r["decision"] == "denied" for r in rows if int(r["agent_seq"]) > BOUND)
    assert all(r["reason"] == "gate_offline_policy" for r in full)
    assert any("not confirmed by the API" in a for a in _alarms(fleet)), _alarms(fleet)
    assert out_of_order == 0, line
