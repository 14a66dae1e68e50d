"""PostgreSQL failover under load: the primary killed -9, the standby promoted.

Three gate agents decide on a stream of badge reads through HAProxy in front of two
`portgate api` replicas, all on a PostgreSQL primary with a synchronous streaming standby
(testkit.faults.ha_fleet). Mid-load the primary's postmaster and every backend are SIGKILLed;
after a pause (the operator's or a failover manager's decision) the standby is promoted.
The replicas reach the new primary through their libpq multi-host URL with
``target_session_attrs=read-write``; the gates decide from their replicas while the API
cannot; the agents keep their events until the API confirms them. Afterwards: 0 events
lost, 0 duplicates, no double or late opening, and ``portgate audit verify`` holds the
chain against every head the replicas published, before and after the failover (no fork).

PORTGATE_FAULT_SCALE (default 1) stretches the load and the outage.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import httpx
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


def _database_answers(fleet: HaFleet) -> bool:
    try:
        answer = httpx.get(f"http://127.0.0.1:{fleet.api_port}/healthz", timeout=2)
    except httpx.HTTPError:
        return False
    return answer.is_success and bool(answer.json().get("database"))


def test_a_primary_killed_mid_load_loses_no_event_and_forks_no_audit(ha_fleet: HaFleet) -> None:
    assert ha_fleet.crowd is not None and ha_fleet.pg is not None
    ha_fleet.crowd.start()
    time.sleep(6 * SCALE)

    killed = datetime.now(UTC)
    ha_fleet.pg.primary.kill9()
    time.sleep(4 * SCALE)
    ha_fleet.pg.standby.promote()
    promoted = datetime.now(UTC)
    assert wait_until(lambda: _database_answers(ha_fleet), 60, interval=0.2)
    recovered = datetime.now(UTC)
    time.sleep(8 * SCALE)

    ha_fleet.crowd.stop()
    presented = sum(ha_fleet.crowd.presented.values())
    assert wait_until(ha_fleet.drained, 120, interval=0.5), "events still on their way after 120 s"
    rows = ha_fleet.stored_events()
    ha_fleet.stop()

    audit = ha_fleet.audit_verify()
    history = check_history(ha_fleet, outages=[], stored_rows=rows)
    during = [r for r in rows if killed <= r["occurred_at"] <= recovered]
    figures = fault_figures(
        "postgresql failover",
        history,
        scale=SCALE,
        recover_s=(recovered - killed).total_seconds(),
    )
    during_outage = (
        f"promoted after {(promoted - killed).total_seconds():.1f} s, writing again "
        f"{(recovered - promoted).total_seconds():.1f} s later; {presented} badge reads; "
        f"during the outage {sum(r['decided_by'] == 'replica' for r in during)} by replica, "
        f"{sum(r['decided_by'] == 'central' for r in during)} central"
    )
    print(figures.line(during_outage))  # noqa: T201 (the figures, in the test log)
    assert not history.violations(), history.violations()
    assert history.events_stored == history.events_recorded > 0
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "matches" in audit.stdout and "events intact" in audit.stdout, audit.stdout
    assert any(r["decided_by"] == "replica" for r in during), "no gate decided alone"
    assert any(r["decided_by"] == "central" and r["occurred_at"] > recovered for r in rows)
    assert history.openings > 0
