"""Rogue-company patterns in bookings: one plate, many drivers; one driver, many hauliers;
appointments created at odd local hours. Real database (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.insider.appointments import most_distinct_within
from central_api.models import Alarm, Appointment, Company, Person, Role, Site
from gate_protocol.records import PersonKind
from testkit.api.world import World
from testkit.people import add_enrolled

DAY = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


def alarms(engine: Engine, about: str) -> list[Alarm]:
    """The alarms whose detail starts with `about` (a booking made between 00:00 and 05:00
    also raises the odd-hours alarm under the default rules)."""
    with Session(engine) as session:
        found = session.exec(select(Alarm).order_by(col(Alarm.id))).all()
        return [alarm for alarm in found if alarm.detail.startswith(about)]


def add_people(engine: Engine, world: World, *names: str) -> None:
    with Session(engine) as session:
        add_enrolled(
            session,
            *(
                Person(id=name, display_name=name, kind=PersonKind.DRIVER, site_id=world.site)
                for name in names
            ),
        )
        session.commit()


def add_companies(engine: Engine, *names: str) -> list[int]:
    with Session(engine, expire_on_commit=False) as session:
        rows = [Company(name=name) for name in names]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows if row.id is not None]


def book(
    client: TestClient, world: World, person: str, at: datetime, **fields: object
) -> dict[str, object]:
    answer = client.post(
        "/api/v1/appointments",
        headers=world.user_desk(),
        json={
            "person_id": person,
            "gates": [world.gate],
            "window_start": at.isoformat(),
            "window_end": (at + timedelta(hours=2)).isoformat(),
            **fields,
        },
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


def set_rules(client: TestClient, world: World, **rules: object) -> None:
    answer = client.put(
        f"/api/v1/sites/{world.site}/insider-rules", json=rules, headers=world.user(Role.ADMIN)
    )
    assert answer.status_code == 200, answer.text


def test_one_plate_with_many_drivers_in_a_day_alarms_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    add_people(engine, world, "D1", "D2", "D3", "D4")
    book(client, world, "D1", DAY, plate="BX-482-K")
    book(client, world, "D1", DAY + timedelta(hours=3), plate="BX-482-K")  # same driver again
    book(client, world, "D2", DAY + timedelta(hours=5), plate="BX-482-K")
    book(client, world, "D3", DAY + timedelta(days=1), plate="BX-482-K")  # another day
    book(client, world, "D3", DAY, plate="ZZ-111-A")  # another plate
    assert alarms(engine, "plate") == []  # two drivers a day: under the default of three
    book(client, world, "D3", DAY + timedelta(hours=7), plate="BX-482-K")
    (alarm,) = alarms(engine, "plate")
    assert alarm.kind == "insider_pattern" and alarm.gate_id == world.gate
    assert alarm.detail.startswith("plate BX-482-K booked for several drivers on 2026-12-14: ")
    assert "3 different drivers (D1, D2, D3)" in alarm.detail
    book(client, world, "D4", DAY + timedelta(hours=8), plate="BX-482-K")
    assert len(alarms(engine, "plate")) == 1  # the fourth driver: the same alarm, not another
    shown = client.get("/dashboard/api/alarms", headers=world.user(Role.OPERATOR)).json()
    assert any(a["detail"] == alarm.detail for a in shown["alarms"])


def test_the_plate_day_is_the_site_s_local_day(
    client: TestClient, world: World, engine: Engine
) -> None:
    add_people(engine, world, "E1", "E2")
    set_rules(client, world, plate_drivers_per_day=2)
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None
        site.timezone = "Asia/Tokyo"
        session.add(site)
        session.commit()
    # 14:00 and 16:00 UTC: the same UTC day, but 23:00 and 01:00 in Tokyo.
    book(client, world, "E1", DAY.replace(hour=14), plate="QQ-1")
    book(client, world, "E2", DAY.replace(hour=16), plate="QQ-1")
    assert alarms(engine, "plate") == []
    book(client, world, "E2", DAY.replace(hour=13), plate="QQ-1")
    (alarm,) = alarms(engine, "plate")
    assert "QQ-1 booked for several drivers on 2026-12-14" in alarm.detail


def test_one_driver_for_many_companies_in_a_week_alarms_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    add_people(engine, world, "H1")
    north, south, east, west = add_companies(engine, "North Haul", "South Haul", "East", "West")
    book(client, world, "H1", DAY, company_id=north)
    book(client, world, "H1", DAY + timedelta(days=2), company_id=south)
    book(client, world, "H1", DAY + timedelta(days=3), company_id=north)
    book(client, world, "H1", DAY + timedelta(days=9), company_id=east)  # 9 days after the first
    assert alarms(engine, "driver") == []
    answer = book(client, world, "H1", DAY - timedelta(days=3), company_id=west)
    assert answer["company_id"] == west
    (alarm,) = alarms(engine, "driver")
    assert alarm.person_id == "H1"
    assert alarm.detail.startswith("driver H1 booked for several haulier companies: ")
    assert "3 companies within 7 days (North Haul, South Haul, West)" in alarm.detail
    book(client, world, "H1", DAY + timedelta(days=8), company_id=west)
    assert len(alarms(engine, "driver")) == 1


def test_an_unknown_company_is_refused_and_nothing_is_booked(
    client: TestClient, world: World, engine: Engine
) -> None:
    add_people(engine, world, "K1")
    answer = client.post(
        "/api/v1/appointments",
        headers=world.user_desk(),
        json={
            "person_id": "K1",
            "gates": [world.gate],
            "window_start": DAY.isoformat(),
            "window_end": (DAY + timedelta(hours=1)).isoformat(),
            "company_id": 999,
        },
    )
    assert answer.status_code == 404 and "company 999 not found" in answer.text
    with Session(engine) as session:
        assert session.exec(select(Appointment)).all() == []


def _local_hour(world: World, engine: Engine, zone: str) -> int:
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None
        site.timezone = zone
        session.add(site)
        session.commit()
    return datetime.now(ZoneInfo(zone)).hour


def test_appointments_created_at_odd_local_hours_alarm_once_per_user_and_night(
    client: TestClient, world: World, engine: Engine
) -> None:
    add_people(engine, world, "N1", "N2")
    hour = _local_hour(world, engine, "Asia/Tokyo")
    # A band two hours wide away from the site's present hour (UTC is 9 hours off Tokyo):
    # quiet, even if the hour turns during the test.
    set_rules(client, world, odd_hours_start=(hour + 2) % 24, odd_hours_end=(hour + 4) % 24)
    book(client, world, "N1", DAY, plate="NN-1")
    assert alarms(engine, "appointments created") == []
    set_rules(client, world, odd_hours_start=hour, odd_hours_end=(hour + 2) % 24)
    book(client, world, "N1", DAY, plate="NN-1")
    book(client, world, "N2", DAY)
    (alarm,) = alarms(engine, "appointments created")
    assert alarm.detail.startswith("appointments created at odd hours by user:security_desk-user")
    assert "for driver N1 plate NN-1 created at" in alarm.detail
    assert f"(odd hours {hour:02d}:00-{(hour + 2) % 24:02d}:00)" in alarm.detail


def test_insider_rules_for_the_new_patterns_are_validated_and_nothing_changes(
    client: TestClient, world: World
) -> None:
    url = f"/api/v1/sites/{world.site}/insider-rules"
    admin = world.user(Role.ADMIN)
    set_rules(client, world, plate_drivers_per_day=4, odd_hours_start=22, odd_hours_end=4)
    for bad in (
        {"plate_drivers_per_day": 1},
        {"driver_companies": 0},
        {"driver_companies_window_days": 0},
        {"pass_reuse_per_company": 0},
        {"pass_reuse_window_hours": 9000},
        {"odd_hours_start": 24},
        {"odd_hours_end": -1},
        {"open_after_denial_minutes": 0},
        {"overrides_per_person": 1},
        {"override_window_days": "a week"},
    ):
        answer = client.put(url, json=bad, headers=admin)
        assert answer.status_code == 422, bad
        field = next(iter(bad))
        assert field in answer.text
    now = client.get(url, headers=admin).json()
    assert now["plate_drivers_per_day"] == 4 and now["odd_hours_start"] == 22
    assert now["odd_hours_end"] == 4 and now["driver_companies"] == 3


def test_most_distinct_within_takes_the_best_window_holding_the_anchor() -> None:
    t = DAY
    points = [(t, "a"), (t + timedelta(days=2), "b"), (t + timedelta(days=8), "c")]
    assert most_distinct_within(points, anchor=t + timedelta(days=2), width=timedelta(7)) == {
        "a",
        "b",
    }
    assert most_distinct_within(points, anchor=t + timedelta(days=8), width=timedelta(7)) == {
        "b",
        "c",
    }
