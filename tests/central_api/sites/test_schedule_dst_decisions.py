"""A schedule across the DST switches, decided by the API and by a gate's offline replica.

The site is in Europe/Amsterdam and its schedules have no zone of their own, so both
deciders must take the site's zone: the API from the database, the agent from the zone
its replica carries. Both run the same pure `decide()`; the API's clock is frozen at each
instant (the decision takes the server's time, not the gate's `occurred_at`).
"""

from collections.abc import Callable
from datetime import UTC, datetime, time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.rules import create_schedule
from central_api.decisions import entry, in_session
from central_api.models import Role, ScheduleCreate
from gate_agent.decision.presentation import Presentation
from gate_agent.decision.replica_policy import replica_verdict
from gate_protocol.messages import CredentialKind, Decision, Direction
from gate_protocol.policy import FaceEvidence
from gate_protocol.reasons import ReasonCode
from gate_protocol.replica import ReplicaIndex, ReplicaSnapshot, decode_replica
from gate_protocol.schedule import WeeklyWindow
from testkit.api.decisions import enroll, query
from testkit.api.world import World

GOOD_FACE = FaceEvidence(seen=True, distance=0.3, liveness_passed=True, liveness_score=0.9)
EVERY_DAY = frozenset(range(7))


def at(month: int, day: int, hour: int, minute: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# (badge, instant in UTC, granted): "AA01" holds 01:30-02:30 local, "EE01" 02:30-04:00 local.
CASES = [
    # Saturday 24 October (CEST, UTC+2).
    ("AA01", at(10, 23, 23, 29), False),
    ("AA01", at(10, 23, 23, 30), True),
    # Sunday 25 October: 03:00 CEST goes back to 02:00 CET at 01:00 UTC.
    ("AA01", at(10, 25, 0, 29), True),  # 02:29 CEST
    ("AA01", at(10, 25, 0, 30), False),  # the first 02:30 closes it
    ("AA01", at(10, 25, 1, 10), False),  # 02:10 CET, the hour again: no reopening
    ("EE01", at(10, 25, 0, 30), True),  # opens at the first 02:30
    ("EE01", at(10, 25, 2, 59), True),  # 03:59 CET
    ("EE01", at(10, 25, 3, 0), False),  # 04:00 CET
    # Monday 26 October (CET, UTC+1).
    ("AA01", at(10, 26, 0, 29), False),
    ("AA01", at(10, 26, 0, 30), True),
    # Sunday 28 March 2027: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
    ("AA01", at(3, 28, 0, 59, 2027), True),  # 01:59 CET
    ("AA01", at(3, 28, 1, 0, 2027), False),  # 03:00 CEST: its 02:30 end did not exist
    ("EE01", at(3, 28, 0, 59, 2027), False),
    ("EE01", at(3, 28, 1, 0, 2027), True),  # its 02:30 start takes effect at 03:00 CEST
    ("EE01", at(3, 28, 2, 0, 2027), False),  # 04:00 CEST
    # Saturday 27 (CET) and Monday 29 March (CEST): the plain hours either side.
    ("EE01", at(3, 27, 1, 30, 2027), True),
    ("EE01", at(3, 27, 1, 29, 2027), False),
    ("EE01", at(3, 29, 0, 30, 2027), True),
    ("EE01", at(3, 29, 0, 29, 2027), False),
]


def _schedule(engine: Engine, schedule_id: str, start: time, end: time) -> None:
    with Session(engine) as session:
        create_schedule(
            session=session,
            schedule_create=ScheduleCreate(
                id=schedule_id,
                name=schedule_id,
                windows=[WeeklyWindow(weekdays=EVERY_DAY, start=start, end=end)],
            ),
            actor="test",
        )


def _snapshot(client: TestClient, world: World) -> ReplicaSnapshot:
    answer = client.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    snapshot = decode_replica(answer.content)
    assert isinstance(snapshot, ReplicaSnapshot)
    return snapshot


def _offline(index: ReplicaIndex, badge: str, now: datetime) -> tuple[Decision, ReasonCode]:
    presentation = Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=now,
        started=0.0,
        badge_number=badge,
    )
    verdict = replica_verdict(
        index=index, presentation=presentation, face=GOOD_FACE, now=now, last_sync_at=now
    )
    return verdict.decision, verdict.reason


def _freeze(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def set_now(now: datetime) -> None:
        for module in (entry, in_session):
            monkeypatch.setattr(module, "utc_now", lambda: now)

    return set_now


def test_the_api_and_the_offline_replica_agree_across_both_switches(
    client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = client.put(
        f"/api/v1/sites/{world.site}/timezone",
        json={"timezone": "Europe/Amsterdam"},
        headers=world.user(Role.ADMIN),
    )
    assert zone.status_code == 200, zone.text
    _schedule(engine, "night", time(1, 30), time(2, 30))
    _schedule(engine, "early", time(2, 30), time(4))
    enroll(engine, world, badge="AA01", schedule="night")
    enroll(engine, world, badge="EE01", schedule="early")
    snapshot = _snapshot(client, world)
    zones = {g.schedule.timezone for p in snapshot.persons for g in p.grants if g.schedule}
    assert zones == {"Europe/Amsterdam"}  # the site's zone travels with the replica
    index = ReplicaIndex(snapshot)
    set_now = _freeze(monkeypatch)
    for badge, now, granted in CASES:
        expected = (
            (Decision.GRANTED, ReasonCode.GRANTED)
            if granted
            else (Decision.DENIED, ReasonCode.OUTSIDE_SCHEDULE)
        )
        set_now(now)
        answer = client.post(
            "/api/v1/decisions",
            json=query(badge, occurred_at=now.isoformat()),
            headers=world.gate_key(),
        )
        assert answer.status_code == 200, answer.text
        central = (Decision(answer.json()["decision"]), ReasonCode(answer.json()["reason"]))
        assert central == expected, (badge, now)
        assert _offline(index, badge, now) == expected, (badge, now)


def test_a_zone_change_reaches_the_replica(
    client: TestClient, world: World, engine: Engine
) -> None:
    _schedule(engine, "night", time(1, 30), time(2, 30))
    enroll(engine, world, badge="AA01", schedule="night")
    first = _snapshot(client, world)
    assert {g.schedule.timezone for p in first.persons for g in p.grants if g.schedule} == {"UTC"}
    for zone in ("Europe/Stockholm",):
        changed = client.put(
            f"/api/v1/sites/{world.site}/timezone",
            json={"timezone": zone},
            headers=world.user(Role.ADMIN),
        )
        assert changed.status_code == 200, changed.text
    second = _snapshot(client, world)
    assert second.version > first.version
    assert {g.schedule.timezone for p in second.persons for g in p.grants if g.schedule} == {
        "Europe/Stockholm"
    }
