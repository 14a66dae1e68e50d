"""API replicas crash (kill -9, not a stop) behind HAProxy while the gates load them.

Three gate agents decide and report through HAProxy in front of two `portgate api`
replicas on one PostgreSQL database (testkit.faults.ha_fleet). Again and again one replica is
SIGKILLed the moment it holds a transaction open in the database (a decision's or an
ingest batch's, seen in pg_stat_activity by its application name) and restarted; HAProxy's
health checks take it out and bring it back. Afterwards: 0 events lost, 0 duplicates, no
double or late opening, and ``portgate audit verify`` holds the chain both replicas wrote
at once (appends serialise on the head row, ``SELECT ... FOR UPDATE``) against every
published head.

PORTGATE_FAULT_SCALE (default 1) sets how many crashes (2 per unit) and stretches the load.
"""

from __future__ import annotations

import os
import time

import pytest

from testkit.faults.figures import fault_figures
from testkit.faults.ha_fleet import HaFleet
from testkit.faults.history import check_history
from testkit.polling import wait_until

SCALE = float(os.environ.get("PORTGATE_FAULT_SCALE", "1"))
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.timeout(int(300 + 300 * SCALE)),
]


def _crash_mid_transaction(fleet: HaFleet, index: int) -> bool:
    """Kill replica `index` -9, as soon as it holds a transaction open (within 5 s)."""
    deadline = time.monotonic() + 5
    caught = False
    while time.monotonic() < deadline and not caught:
        caught = fleet.open_transactions(index) > 0
    fleet.replicas[index].kill9()
    return caught


def test_api_replicas_killed_mid_transaction_lose_and_double_nothing(ha_fleet: HaFleet) -> None:
    assert ha_fleet.crowd is not None
    ha_fleet.crowd.start()
    time.sleep(4 * SCALE)

    crashes, caught, recoveries = max(2, round(2 * SCALE)), 0, []
    for n in range(crashes):
        index = n % ha_fleet.replica_count
        killed = time.monotonic()
        caught += _crash_mid_transaction(ha_fleet, index)
        time.sleep(1.5)
        ha_fleet.replicas[index].start()
        ha_fleet.wait_replica(index)
        recoveries.append(time.monotonic() - killed)
        time.sleep(2 * SCALE)

    ha_fleet.crowd.stop()
    presented = sum(ha_fleet.crowd.presented.values())
    assert wait_until(ha_fleet.drained, 120, interval=0.5), "events still on their way after 120 s"
    rows = ha_fleet.stored_events()
    ha_fleet.stop()

    audit = ha_fleet.audit_verify()
    history = check_history(ha_fleet, outages=[], stored_rows=rows)
    figures = fault_figures("api replica kill -9", history, scale=SCALE, recover_s=max(recoveries))
    crashed = (
        f"{presented} badge reads; {crashes} crashes, {caught} of them with a transaction "
        "open; recovered = killed until restarted and answering"
    )
    print(figures.line(crashed))  # noqa: T201 (the figures, in the test log)
    assert not history.violations(), history.violations()
    assert history.events_stored == history.events_recorded > 0
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "matches" in audit.stdout and "events intact" in audit.stdout, audit.stdout
    assert caught > 0, "no crash hit an open transaction"
    assert history.by_decider["central"] > 0 and history.openings > 0
