"""Reports count in the site's zone: local days (23 or 25 hours on a switch), hours and shifts.

Sunday 25 October 2026 in Amsterdam runs from 22:00 UTC on the 24th to 23:00 UTC on the
25th (25 hours); Sunday 28 March 2027 from 23:00 UTC on the 27th to 22:00 UTC on the 28th
(23 hours). A port-wide report still counts in UTC.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.crud.sites import set_site_timezone
from central_api.models import AccessEventRecord, Alarm
from central_api.reports.build import build_report, report_zone
from central_api.reports.model import Report
from central_api.reports.period import (
    DEFAULT_SHIFTS,
    Period,
    ReportInputError,
    resolve_period,
)
from central_api.reports.schedule import last_period
from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.reasons import ReasonCode
from testkit.api.world import World

AMS = "Europe/Amsterdam"


def test_a_local_day_is_25_hours_in_october_and_23_in_march() -> None:
    now = datetime(2027, 4, 1, tzinfo=UTC)
    autumn = resolve_period("2026-10-25", "2026-10-25", now=now, zone=AMS)
    assert autumn.start == datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert autumn.end - autumn.start == timedelta(hours=25)
    spring = resolve_period("2027-03-28", "2027-03-28", now=now, zone=AMS)
    assert spring.start == datetime(2027, 3, 27, 23, tzinfo=UTC)
    assert spring.end - spring.start == timedelta(hours=23)
    plain = resolve_period("2026-10-25", "2026-10-25", now=now)
    assert plain.end - plain.start == timedelta(hours=24) and plain.zone == "UTC"


def test_a_scheduled_daily_run_takes_the_local_day_just_ended() -> None:
    # 00:30 CET on Monday 26 October: the day just ended is the local Sunday, 25 hours.
    now = datetime(2026, 10, 25, 23, 30, tzinfo=UTC)
    period, label = last_period("daily", now, AMS)
    assert label == "2026-10-25"
    assert (period.start, period.end) == (
        datetime(2026, 10, 24, 22, tzinfo=UTC),
        datetime(2026, 10, 25, 23, tzinfo=UTC),
    )
    assert last_period("daily", now)[1] == "2026-10-24"  # in UTC it is still the 25th
    month, month_label = last_period("monthly", datetime(2026, 11, 1, 0, 30, tzinfo=UTC), AMS)
    assert month_label == "2026-10" and month.end == datetime(2026, 10, 31, 23, tzinfo=UTC)
    week, _ = last_period("weekly", datetime(2027, 3, 29, 12, tzinfo=UTC), AMS)
    assert week.end - week.start == timedelta(days=7, hours=-1)


def test_a_shift_is_the_site_s_clock() -> None:
    # 05:30 UTC is 06:30 CET (the morning shift) but before 06:00 in UTC (the night shift).
    moment = datetime(2026, 10, 26, 5, 30, tzinfo=UTC)
    assert DEFAULT_SHIFTS.of(moment, AMS) == "06-14"
    assert DEFAULT_SHIFTS.of(moment) == "22-06"


def _event(n: int, at: datetime, world: World) -> AccessEventRecord:
    return AccessEventRecord(
        event_id=f"tz-ev-{n}",
        site_id=world.site,
        gate_id=world.gate,
        agent_seq=n,
        occurred_at=at,
        lane=0,
        direction=Direction.ENTRY,
        decision=Decision.GRANTED,
        reason=ReasonCode.GRANTED,
        credential_kind=CredentialKind.BADGE,
        decided_by=DecidedBy.CENTRAL,
        passed=True,
    )


def _alarm(n: int, at: datetime, world: World, acked: bool) -> Alarm:
    return Alarm(
        alarm_id=f"tz-al-{n}",
        site_id=world.site,
        gate_id=world.gate,
        kind=AlarmKind.TAILGATING,
        raised_at=at,
        acknowledged_at=at + timedelta(seconds=30 * (n + 1)) if acked else None,
    )


def _report(engine: Engine, name: str, site: str | None, period: Period) -> Report:
    with Session(engine) as session:
        return build_report(
            session=session,
            name=name,
            site_id=site,
            period=period,
            generated_by="test",
            now=period.end,
        )


def test_hours_shifts_and_the_day_are_the_site_s_on_a_switch_day(
    engine: Engine, world: World
) -> None:
    # Both 02:10s of Sunday 25 October (CEST then CET), 01:10 CEST, and two events outside
    # the local day that a UTC day would count (23:30 UTC on the 25th is 00:30 Monday).
    inside = [
        datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # 00:00 CEST, the local day's first hour
        datetime(2026, 10, 24, 23, 10, tzinfo=UTC),  # 01:10 CEST
        datetime(2026, 10, 25, 0, 10, tzinfo=UTC),  # 02:10 CEST
        datetime(2026, 10, 25, 1, 10, tzinfo=UTC),  # 02:10 CET
        datetime(2026, 10, 25, 5, 30, tzinfo=UTC),  # 06:30 CET
        datetime(2026, 10, 25, 22, 59, tzinfo=UTC),  # 23:59 CET, the local day's last minute
    ]
    outside = [datetime(2026, 10, 24, 21, 59, tzinfo=UTC), datetime(2026, 10, 25, 23, 30)]
    with Session(engine) as session:
        for n, at in enumerate(inside + [o.replace(tzinfo=UTC) for o in outside]):
            session.add(_event(n, at, world))
        session.add(_alarm(0, datetime(2026, 10, 25, 5, 30, tzinfo=UTC), world, acked=True))
        session.add(_alarm(1, datetime(2026, 10, 25, 0, 10, tzinfo=UTC), world, acked=False))
        session.commit()
        set_site_timezone(session=session, site_id=world.site, timezone=AMS, actor="test")
        zone = report_zone(session=session, site_id=world.site)
        assert zone == AMS and report_zone(session=session, site_id=None) == "UTC"
    period = resolve_period("2026-10-25", "2026-10-25", now=datetime.now(UTC), zone=zone)
    access = _report(engine, "access", world.site, period)
    hours = {row[0]: row[1] for row in access.table("hours").rows}
    assert access.table("hours").title.endswith(f"({AMS})")
    assert (hours["00"], hours["01"], hours["02"], hours["06"], hours["23"]) == (1, 1, 2, 1, 1)
    assert sum(v for v in hours.values() if isinstance(v, int)) == len(inside)
    alarms = _report(engine, "alarms", world.site, period)
    by_shift = {row[0]: row[1] for row in alarms.table("ack_by_shift").rows}
    assert by_shift == {"06-14": 1, "14-22": 0, "22-06": 0}
    opened = alarms.table("open").rows
    assert [row[0] for row in opened] == ["2026-10-25T02:10:00+02:00"]


@pytest.mark.parametrize("bad", ["Europe/Amsterdm", "UTC+25"])
def test_a_report_period_in_a_bad_zone_is_refused(bad: str) -> None:
    with pytest.raises(ReportInputError, match="unknown time zone"):
        resolve_period("2026-10-25", "2026-10-25", now=datetime.now(UTC), zone=bad)
