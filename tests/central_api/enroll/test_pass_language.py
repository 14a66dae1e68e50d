"""A pass's own language (issue 26.2): issued with one, kept on its visit, sent to the gates.

Runs on SQLite and PostgreSQL (the `engine` fixture). A pass issued in Polish for a driver
who prefers English reaches the gate's replica with its language (the person keeps theirs);
the phone page opens in the pass's language when the pages speak it, else the holder's.
A language the lanes do not speak is a 422 that makes no visit, pass or audit row.
"""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.enroll.tables import IssuedPass
from central_api.models import Appointment, AuditEntry, Role
from gate_protocol.replica import ReplicaSnapshot, decode_replica
from testkit.api.enrollment import clear_enroll_tables, enroll_settings
from testkit.api.world import World


@pytest.fixture
def settings(engine: Engine) -> Settings:
    clear_enroll_tables(engine)
    return enroll_settings(engine)


def _person(client: TestClient, world: World, language: str | None = None) -> str:
    body: dict[str, object] = {"site_id": "rtm", "display_name": "Sam Carter", "kind": "driver"}
    if language is not None:
        body["preferred_language"] = language
    answer = client.post("/api/v1/enroll/people", json=body, headers=world.user_desk())
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _pass_body(world: World, **extra: object) -> dict[str, object]:
    start = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "gates": [world.gate],
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=4)).isoformat(),
        **extra,
    }


def _issue(client: TestClient, world: World, person: str, **extra: object) -> dict[str, object]:
    answer = client.post(
        f"/api/v1/enroll/people/{person}/passes",
        json=_pass_body(world, **extra),
        headers=world.user_desk(),
    )
    return {"status": answer.status_code, **answer.json()}


def _snapshot(client: TestClient, world: World) -> ReplicaSnapshot:
    answer = client.get(f"/api/v1/gates/{world.gate}/replica", headers=world.gate_key())
    assert answer.status_code == 200, answer.text
    snapshot = decode_replica(answer.content)
    assert isinstance(snapshot, ReplicaSnapshot)
    return snapshot


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            int(session.exec(select(func.count()).select_from(table)).one())
            for table in (Appointment, IssuedPass, AuditEntry)
        )


def test_a_pass_issued_in_polish_carries_it_to_the_gate_and_the_audit(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = _person(client, world)  # prefers nothing: English
    issued = _issue(client, world, person, language="pl")
    assert issued["status"] == 201, issued
    assert issued["language"] == "pl"
    desk = world.user(Role.SECURITY_DESK)
    visit = client.get(f"/api/v1/appointments/{issued['appointment_id']}", headers=desk).json()
    assert visit["language"] == "pl"
    assert client.get(f"/api/v1/enroll/passes/{issued['pass_id']}", headers=desk).json()[
        "language"
    ] == ("pl")
    snapshot = _snapshot(client, world)
    (record,) = [a for a in snapshot.appointments if a.pass_id == issued["pass_id"]]
    assert record.language == "pl"
    holder = next(p for p in snapshot.persons if p.person_id == person)
    assert holder.language == "en"  # the person keeps their own
    with Session(engine) as session:
        audited = session.exec(
            select(AuditEntry).where(AuditEntry.action == "appointment.create")
        ).all()
    assert [json.loads(row.after or "{}")["language"] for row in audited] == ["pl"]


def test_a_pass_without_a_language_leaves_the_holder_s_and_old_records_still_parse(
    client: TestClient, world: World
) -> None:
    person = _person(client, world, language="ro")
    issued = _issue(client, world, person)
    assert issued["status"] == 201 and issued["language"] is None
    snapshot = _snapshot(client, world)
    (record,) = [a for a in snapshot.appointments if a.pass_id == issued["pass_id"]]
    assert record.language is None
    # A record written before passes had a language (no such key) reads as "none".
    old = record.model_dump(mode="json")
    del old["language"]
    assert type(record).model_validate(old).language is None


def test_a_language_the_lanes_do_not_speak_is_refused_and_nothing_is_made(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = _person(client, world)
    before = _counts(engine)
    for language in ("xx", "pl-PL", "", "klingon"):
        refused = _issue(client, world, person, language=language)
        assert refused["status"] == 422, refused
        assert "language" in str(refused["detail"]) and "'pl'" in str(refused["detail"])
    assert _counts(engine) == before


def test_the_appointments_api_books_a_visit_in_a_language_and_refuses_an_unknown_one(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = _person(client, world)
    body = {"person_id": person, **_pass_body(world, language="tr")}
    booked = client.post("/api/v1/appointments", json=body, headers=world.user_desk())
    assert booked.status_code == 201, booked.text
    assert booked.json()["language"] == "tr"
    (record,) = [a for a in _snapshot(client, world).appointments if a.person_id == person]
    assert record.language == "tr"
    before = _counts(engine)
    body["language"] = "tlh"
    refused = client.post("/api/v1/appointments", json=body, headers=world.user_desk())
    assert refused.status_code == 422 and "language" in refused.text
    assert _counts(engine) == before


def test_the_phone_page_speaks_the_pass_s_language_when_the_pages_speak_it(
    client: TestClient, world: World
) -> None:
    # (pass, holder, page): the pages speak en, nl, sv, de, fr; the lanes Turkish and Polish too.
    cases = [("de", "sv", "de"), ("tr", "nl", "nl"), ("pl", None, None), (None, "fr", "fr")]
    for pass_language, holder, page in cases:
        person = _person(client, world, language=holder)
        extra = {"language": pass_language} if pass_language else {}
        issued = _issue(client, world, person, **extra)
        assert issued["status"] == 201, issued
        url = urlsplit(str(issued["mobile_url"]))
        link = {"pass_id": url.path.rsplit("/", 1)[1], "secret": url.fragment}
        view = client.post("/api/v1/mobile-pass", json=link)
        assert view.status_code == 200, view.text
        assert view.json()["language"] == page, (pass_language, holder)
