"""The desk's days and finding people, on SQLite and PostgreSQL (issue 22.3).

Validity in inclusive days of the site's zone (and "until 2027-12-31" no longer shown as
2028-01-01), finding people by company and by a checked document's number (kept only as a
keyed hash), and the standing's bans and watchlist as far as the desk may see them.
"""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from central_api.config import Settings
from central_api.models import (
    BanStatus,
    Person,
    PortBan,
    Role,
    WatchlistEntry,
)
from gate_protocol.records import WatchlistAction
from testkit.api.decisions import enroll
from testkit.api.desk_actions import (
    PEOPLE,
    post_action,
    set_timezone,
    snapshot,
)
from testkit.api.enrollment import clear_enroll_tables, enroll_settings
from testkit.api.world import World


@pytest.fixture
def settings(engine: Engine) -> Settings:
    clear_enroll_tables(engine)
    return enroll_settings(engine)


def test_validity_days_are_inclusive_in_the_site_time_zone(
    client: TestClient, world: World, engine: Engine
) -> None:
    set_timezone(engine, world.site, "Europe/Amsterdam")
    person = enroll(engine, world, badge="0CC001")
    before = snapshot(engine)
    for body in (
        {"first_day": "2027-06-01", "last_day": "2027-05-31"},
        {"first_day": "2027-06-01", "last_day": "2027-12-31", "site_id": world.other_site},
    ):
        answer = post_action(client, world, f"{person}/validity", body)
        assert answer.status_code in (404, 422), answer.text
    assert (
        "before it starts"
        in post_action(
            client,
            world,
            f"{person}/validity",
            {"first_day": "2027-06-01", "last_day": "2027-05-31"},
        ).text
    )
    assert snapshot(engine) == before

    answer = post_action(
        client, world, f"{person}/validity", {"first_day": "2027-01-01", "last_day": "2027-12-31"}
    )
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert (shown["first_day"], shown["last_day"]) == ("2027-01-01", "2027-12-31")
    assert shown["timezone"] == "Europe/Amsterdam"
    with Session(engine) as session:
        row = session.get(Person, person)
        assert row is not None and row.valid_until is not None
        # Through 31 December in Rotterdam: until 1 January 00:00 CET, 23:00 UTC.
        assert row.valid_until == datetime(2027, 12, 31, 23, 0, tzinfo=UTC)

    # One site's window: the activation there, shown in that site's days.
    answer = post_action(
        client, world, f"{person}/validity", {"last_day": "2027-06-30", "site_id": world.site}
    )
    [site] = answer.json()["sites"]
    assert (site["site_id"], site["last_day"]) == (world.site, "2027-06-30")


def test_an_end_stored_as_the_next_midnight_shows_as_the_last_day_it_admits(
    client: TestClient, world: World, engine: Engine
) -> None:
    # What the create form sends for "until 2027-12-31" in a UTC site: 2028-01-01T00:00Z.
    created = client.post(
        PEOPLE,
        json={
            "site_id": world.site,
            "display_name": "Ada Until",
            "kind": "staff",
            "valid_until": "2028-01-01T00:00:00Z",
        },
        headers=world.user_desk(),
    )
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["last_day"] == "2027-12-31"
    standing = client.get(f"{PEOPLE}/{person['id']}/standing", headers=world.user_desk()).json()
    assert standing["last_day"] == "2027-12-31"
    assert standing["sites"][0]["last_day"] == "2027-12-31"


def test_the_create_form_sends_inclusive_days_that_the_site_zone_turns_into_instants(
    client: TestClient, world: World, engine: Engine
) -> None:
    set_timezone(engine, world.site, "Europe/Amsterdam")
    body = {"site_id": world.site, "display_name": "Bo Days", "kind": "staff"}
    refused = [
        ({"first_day": "2027-02-01", "last_day": "2027-01-31"}, "before it starts"),
        ({"last_day": "2027-12-31", "valid_until": "2028-01-01T00:00:00Z"}, "not both"),
    ]
    before = snapshot(engine)
    for days, message in refused:
        answer = client.post(PEOPLE, json={**body, **days}, headers=world.user_desk())
        assert answer.status_code == 422 and message in answer.text, answer.text
    assert snapshot(engine) == before
    answer = client.post(
        PEOPLE,
        json={**body, "first_day": "2027-01-01", "last_day": "2027-12-31"},
        headers=world.user_desk(),
    )
    assert answer.status_code == 201, answer.text
    person = answer.json()
    assert (person["first_day"], person["last_day"]) == ("2027-01-01", "2027-12-31")
    assert person["valid_from"].startswith("2026-12-31T23:00")
    assert person["valid_until"].startswith("2027-12-31T23:00")


def test_the_desk_finds_people_by_company_name(
    client: TestClient, world: World, engine: Engine
) -> None:
    for name, company in (("Cor Crane", "Maas Cranes BV"), ("Dirk Dock", "Dock Works")):
        body = {"site_id": world.site, "display_name": name, "kind": "staff", "company": company}
        assert client.post(PEOPLE, json=body, headers=world.user_desk()).status_code == 201
    found = client.get(PEOPLE, params={"q": "cranes"}, headers=world.user_desk()).json()
    assert [p["display_name"] for p in found] == ["Cor Crane"]


def test_the_desk_finds_a_person_by_a_checked_document_number_it_never_keeps(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0C0001")
    enroll(engine, world, badge="0C0002")
    documents = f"{person}/documents"
    before = snapshot(engine)
    for body, status in (
        ({"kind": "passport", "document_number": "NL<1>"}, 422),
        ({"kind": "library_card", "document_number": "NLAB1234567"}, 422),
    ):
        assert post_action(client, world, documents, body).status_code == status
    assert (
        post_action(
            client,
            world,
            "NOBODY/documents",
            {"kind": "passport", "document_number": "NLAB1234567"},
        ).status_code
        == 404
    )
    assert (
        post_action(
            client,
            world,
            documents,
            {"kind": "passport", "document_number": "NLAB1234567"},
            role=Role.OPERATOR,
        ).status_code
        == 403
    )
    assert snapshot(engine) == before

    answer = post_action(
        client, world, documents, {"kind": "passport", "document_number": "nl ab-123 4567"}
    )
    assert answer.status_code == 201, answer.text
    found = client.get(PEOPLE, params={"q": "NLAB1234567"}, headers=world.user_desk()).json()
    assert [p["id"] for p in found] == [person]
    assert client.get(PEOPLE, params={"q": "NLAB1234568"}, headers=world.user_desk()).json() == []
    with engine.connect() as connection:
        stored = repr(connection.execute(text("SELECT * FROM documentcheck")).all())
        stored += repr(connection.execute(text("SELECT * FROM enroll_document_ref")).all())
        stored += repr(connection.execute(text("SELECT before, after FROM audit_entry")).all())
    assert "1234567" not in stored, "the number itself is kept nowhere"
    receipt = post_action(client, world, f"{person}/erase", {"confirm": person}).json()
    assert receipt["deleted"]["document_refs"] == 1
    assert client.get(PEOPLE, params={"q": "NLAB1234567"}, headers=world.user_desk()).json() == []


def test_the_standing_shows_bans_and_watchlist_without_the_authoritys_reasons(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="0A0B01")
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(
            PortBan(
                id="ban-1",
                person_id=person,
                reason="smuggling inquiry 77",
                legal_reference="PA-2026/0147 art. 5",
                valid_from=now - timedelta(days=1),
                valid_until=now + timedelta(days=30),
                status=BanStatus.ACTIVE,
                issued_by="authority-user",
            )
        )
        session.add(
            WatchlistEntry(person_id=person, action=WatchlistAction.DENY, reason="desk: fraud")
        )
        session.commit()
    answer = client.get(f"{PEOPLE}/{person}/standing", headers=world.user_desk())
    assert answer.status_code == 200, answer.text
    standing = answer.json()
    [ban] = standing["port_bans"]
    assert ban["valid_until"] is not None
    assert "smuggling" not in answer.text and "PA-2026" not in answer.text
    assert [(w["action"], w["reason"]) for w in standing["watchlist"]] == [("deny", "desk: fraud")]
    assert [s["site_id"] for s in standing["sites"]] == [world.site]
