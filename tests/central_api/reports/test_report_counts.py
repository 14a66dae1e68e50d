"""Each report's numbers equal a count made here from the raw rows (SQLite and PostgreSQL).

The seeded world (testkit.api.reports) has rows at two sites and on both sides of the
period's edges; a report of one site and a port-wide one are both checked.
"""

import math
import statistics
from collections import Counter, defaultdict
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.incidents.tables import Incident
from central_api.models import (
    AccessEventRecord,
    Alarm,
    Appointment,
    Company,
    Gate,
    OpenRequest,
    Person,
)
from central_api.reports.build import build_report
from central_api.reports.model import Report
from central_api.reports.period import Period
from gate_protocol.messages import AlarmKind
from testkit.api.reports import PERIOD_END, PERIOD_START, seed_report_world
from testkit.api.world import World

PERIOD = Period(start=PERIOD_START, end=PERIOD_END)


@pytest.fixture
def seeded(engine: Engine, world: World) -> Engine:
    seed_report_world(engine, world)
    return engine


def _report(engine: Engine, name: str, site: str | None) -> Report:
    with Session(engine) as session:
        return build_report(
            session=session,
            name=name,
            site_id=site,
            period=PERIOD,
            generated_by="test",
            now=PERIOD_END,
        )


def _in(moment: datetime) -> bool:
    return PERIOD_START <= moment < PERIOD_END


def _rows(engine: Engine, model: type) -> list:  # type: ignore[type-arg]
    with Session(engine) as session:
        return list(session.exec(select(model)).all())


def _sites(world: World, site: str | None) -> set[str]:
    return {site} if site else {world.site, world.other_site}


def _passage(event: AccessEventRecord) -> bool:
    return event.decision == "granted" and event.passed is not False


@pytest.mark.parametrize("site", ["rtm", None])
def test_access_report_counts_the_raw_events(
    seeded: Engine, world: World, site: str | None
) -> None:
    events = [
        e
        for e in _rows(seeded, AccessEventRecord)
        if _in(e.occurred_at) and e.site_id in _sites(world, site)
    ]
    zone = {g.id: g.zone_id for g in _rows(seeded, Gate)}
    cues = [
        a
        for a in _rows(seeded, Alarm)
        if a.kind == AlarmKind.TAILGATING and _in(a.raised_at) and a.site_id in _sites(world, site)
    ]
    report = _report(seeded, "access", site)

    summary = {str(row[0]): row[1] for row in report.table("summary").rows}
    assert summary == {
        "decisions": len(events),
        "grants": sum(e.decision == "granted" for e in events),
        "denials": sum(e.decision == "denied" for e in events),
        "passages": sum(_passage(e) for e in events),
        "offline decisions": sum(e.decided_by == "replica" for e in events),
        "liveness refusals": sum(e.reason == "liveness_failed" for e in events),
        "face-mismatch refusals": sum(e.reason == "face_mismatch" for e in events),
        "soft anti-passback passages": sum(e.anti_passback_violation for e in events),
        "tailgating cues": len(cues),
    }
    assert summary["decisions"] > 100 and summary["offline decisions"] > 0  # data to count

    per_site: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e in events:
        counts = per_site[e.site_id]
        counts[0] += 1
        counts[1] += _passage(e)
        counts[2] += e.decision == "denied"
        counts[3] += e.decided_by == "replica"
    assert list(report.table("sites").rows) == [(s, *c) for s, c in sorted(per_site.items())]
    assert len(per_site) == (1 if site else 2)

    per_gate: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e in events:
        counts = per_gate[(e.site_id, e.gate_id)]
        counts[0] += _passage(e)
        counts[1] += e.decision == "granted"
        counts[2] += e.decision == "denied"
        counts[3] += e.decided_by == "replica"
    assert list(report.table("gates").rows) == [
        (s, g, zone[g], *counts) for (s, g), counts in sorted(per_gate.items())
    ]

    per_zone: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in events:
        per_zone[zone[e.gate_id]][0] += _passage(e)
        per_zone[zone[e.gate_id]][1] += e.decision == "denied"
    assert report.table("zones").rows == [(z, *c) for z, c in sorted(per_zone.items())]

    per_hour = [[0, 0] for _ in range(24)]
    for e in events:
        per_hour[e.occurred_at.hour][0] += _passage(e)
        per_hour[e.occurred_at.hour][1] += e.decision == "denied"
    assert report.table("hours").rows == [(f"{h:02d}", *c) for h, c in enumerate(per_hour)]

    by_reason = Counter((str(e.decision), str(e.reason)) for e in events)
    got = {(d, r): n for d, r, n, _ in report.table("reasons").rows}
    assert got == dict(by_reason)


@pytest.mark.parametrize("site", ["rtm", None])
def test_alarms_report_counts_the_raw_alarms(
    seeded: Engine, world: World, site: str | None
) -> None:
    alarms = [
        a for a in _rows(seeded, Alarm) if _in(a.raised_at) and a.site_id in _sites(world, site)
    ]
    report = _report(seeded, "alarms", site)

    kinds = {k: (n, a, o) for k, n, a, o in report.table("kinds").rows}
    expected = {
        str(kind): (
            sum(a.kind == kind for a in alarms),
            sum(a.kind == kind and a.acknowledged_at is not None for a in alarms),
            sum(a.kind == kind and a.acknowledged_at is None for a in alarms),
        )
        for kind in {a.kind for a in alarms}
    }
    assert kinds == expected

    shifts: dict[str, list[float]] = {"06-14": [], "14-22": [], "22-06": []}
    for a in alarms:
        if a.acknowledged_at is None:
            continue
        hour = a.raised_at.hour
        name = "06-14" if 6 <= hour < 14 else "14-22" if 14 <= hour < 22 else "22-06"
        shifts[name].append((a.acknowledged_at - a.raised_at).total_seconds())
    rows = {r[0]: r[1:] for r in report.table("ack_by_shift").rows}
    for name, waits in shifts.items():
        ordered = sorted(waits)
        p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]
        assert rows[name] == (len(waits), round(statistics.median(waits), 1), round(p95, 1))
        assert len(waits) > 3

    open_ids = sorted(a.alarm_id for a in alarms if a.acknowledged_at is None)
    assert sorted(str(row[4]) for row in report.table("open").rows) == open_ids


@pytest.mark.parametrize("site", ["rtm", None])
def test_companies_report_counts_the_raw_rows(
    seeded: Engine, world: World, site: str | None
) -> None:
    sites = _sites(world, site)
    people = [p for p in _rows(seeded, Person) if p.site_id in sites]
    employer = {p.id: p.company_id for p in people if p.company_id is not None}
    names = {c.id: c.name for c in _rows(seeded, Company)}
    events = [
        e
        for e in _rows(seeded, AccessEventRecord)
        if _in(e.occurred_at) and e.site_id in sites and e.person_id in employer
    ]
    expected: dict[str, list[int]] = {names[c]: [0] * 5 for c in set(employer.values())}
    for e in events:
        counts = expected[names[employer[e.person_id]]]
        counts[0] += _passage(e)
        counts[1] += e.decision == "denied"
        counts[3] += e.reason == "pass_already_used"
    for ap in _rows(seeded, Appointment):
        if ap.site_id in sites and ap.person_id in employer and ap.used_at is None:
            if _in(ap.window_end):
                expected[names[employer[ap.person_id]]][2] += 1
    for incident in _rows(seeded, Incident):
        if _in(incident.occurred_at) and incident.site_id in sites:
            for entry in incident.companies:
                if names[entry["id"]] in expected:
                    expected[names[entry["id"]]][4] += 1

    rows = {r[0]: list(r[3:]) for r in _report(seeded, "companies", site).table("companies").rows}
    assert rows == expected
    assert "Nobody Here Ltd" not in rows  # a company without people here is left out
    assert sum(c[2] for c in expected.values()) > 0  # no-shows to count


@pytest.mark.parametrize("site", ["rtm", None])
def test_overrides_report_counts_the_raw_opens(
    seeded: Engine, world: World, site: str | None
) -> None:
    gate_site = {g.id: g.site_id for g in _rows(seeded, Gate)}
    opens = [
        o
        for o in _rows(seeded, OpenRequest)
        if _in(o.requested_at) and gate_site[o.gate_id] in _sites(world, site)
    ]
    report = _report(seeded, "overrides", site)

    assert sorted(str(r[7]) for r in report.table("opens").rows) == sorted(o.reason for o in opens)
    pairs = Counter((o.requested_by, o.approved_by) for o in opens if o.approved_by)
    assert {(a, b): n for a, b, n in report.table("pairs").rows} == dict(pairs)
    asked = Counter(o.requested_by for o in opens)
    approved = Counter(o.approved_by for o in opens if o.approved_by)
    operators = {name: (r, a) for name, r, a in report.table("operators").rows}
    assert operators == {n: (asked[n], approved[n]) for n in set(asked) | set(approved)}
    assert pairs  # four-eyes pairs to count
