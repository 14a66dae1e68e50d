"""An alarm's context screen and the enrollment photo operators see only where the site says so."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.config import Settings
from central_api.db import utc_now
from central_api.enroll.privacy import keep_photo
from central_api.enroll.settings import photo_key
from central_api.ingest.store import store_events
from central_api.models import AuditEntry, Role, Site, User
from gate_protocol.messages import AlarmKind
from testkit.api.dashboard import add_person, login, make_event
from testkit.api.world import World

JPEG = b"\xff\xd8\xff\xe0 a kept photo \xff\xd9"


def photo_url(person_id: str) -> str:
    return f"/dashboard/api/enrolled-photos/{person_id}"


def show_photos(client: TestClient, world: World, site: str, show: bool) -> None:
    url = f"/dashboard/api/sites/{site}/enrolled-photos"
    answer = client.post(url, json={"show": show}, headers=world.user(Role.ADMIN))
    assert answer.status_code == 200, answer.text


def test_the_context_screen_lists_the_gates_last_events(
    client: TestClient, world: World, engine: Engine
) -> None:
    ana = add_person(engine, world.site, "Ana Costa", "Quay Movers")
    now = utc_now()
    with Session(engine, expire_on_commit=False) as session:
        events = [make_event(person_id=ana, minutes_ago=m) for m in (30, 20, 10, -10)]
        store_events(session=session, site_id=world.site, gate_id=world.gate, events=events)
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.TAILGATING,
            detail="two passed on one badge",
            person_id=ana,
            at=now,
        )
        session.commit()
    login(client, Role.OPERATOR)
    page = client.get(f"/dashboard/alarms/{alarm.alarm_id}")
    assert page.status_code == 200, page.text
    html = page.text
    shown = [e.event_id for e in events[:3]]
    for event_id in shown:
        assert f'data-event-id="{event_id}"' in html
    assert events[3].event_id not in html  # ten minutes after the alarm: not its context
    assert html.index(shown[2]) < html.index(shown[0])  # newest first
    assert "two passed on one badge" in html and "Ana Costa" in html
    assert "This site does not show enrollment photos." in html
    assert "No camera still is kept for this alarm." in html
    assert photo_url(ana) not in html

    unknown = client.get("/dashboard/alarms/no-such-alarm")
    assert unknown.status_code == 404 and "not found" in unknown.json()["detail"]


def test_the_photo_is_shown_only_where_the_site_keeps_and_shows_photos(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    ana = add_person(engine, world.site, "Ana Costa", None)
    bob = add_person(engine, world.site, "Bob Smit", None)
    with Session(engine) as session:
        keep_photo(
            session=session,
            person_id=ana,
            template_id=None,
            photo=JPEG,
            key=photo_key(settings),
            days=30,
        )
    operator = world.user(Role.OPERATOR)
    off = client.get(photo_url(ana), headers=operator)
    assert off.status_code == 404  # privacy first: off by default although a photo is kept
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None and site.show_enrolled_photos is False

    show_photos(client, world, world.site, True)
    shown = client.get(photo_url(ana), headers=operator)
    assert shown.status_code == 200 and shown.content == JPEG
    assert shown.headers["content-type"] == "image/jpeg"
    assert "private" in shown.headers["cache-control"]
    assert client.get(photo_url(bob), headers=operator).status_code == 404  # none kept
    assert client.get(photo_url(ana), headers=world.user(Role.SECURITY_DESK)).status_code == 403
    sites = client.get("/dashboard/api/alarms", headers=operator).json()["sites"]
    assert {s["site_id"]: s["show_enrolled_photos"] for s in sites}[world.site] is True

    show_photos(client, world, world.site, False)
    assert client.get(photo_url(ana), headers=operator).status_code == 404
    with Session(engine) as session:
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "site.enrolled_photos")
        ).all()
    assert len(audit) == 2 and audit[0].actor == "user:admin-user"


def test_only_admins_switch_photos_and_bad_input_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    url = f"/dashboard/api/sites/{world.site}/enrolled-photos"
    refused = client.post(url, json={"show": True}, headers=world.user(Role.OPERATOR))
    assert refused.status_code == 403
    admin = world.user(Role.ADMIN)
    assert client.post(url, json={"show": "perhaps"}, headers=admin).status_code == 422
    assert client.post(url, json={}, headers=admin).status_code == 422
    missing = client.post(
        "/dashboard/api/sites/no-site/enrolled-photos", json={"show": True}, headers=admin
    )
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    with Session(engine) as session:
        assert all(not s.show_enrolled_photos for s in session.exec(select(Site)).all())
        assert not session.exec(
            select(AuditEntry).where(AuditEntry.action == "site.enrolled_photos")
        ).all()


def test_a_site_bound_operator_sees_no_other_sites_photo_or_alarm(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    stranger = add_person(engine, world.other_site, "Cas Visser", None)
    with Session(engine, expire_on_commit=False) as session:
        keep_photo(
            session=session,
            person_id=stranger,
            template_id=None,
            photo=JPEG,
            key=photo_key(settings),
            days=30,
        )
        alarm = raise_alarm(
            session=session,
            site_id=world.other_site,
            gate_id=world.other_gate,
            kind=AlarmKind.FORCED,
            detail="forced",
        )
        session.commit()
        user = session.exec(select(User).where(User.username == "operator-user")).one()
        user.site_id = world.site
        session.add(user)
        session.commit()
    show_photos(client, world, world.other_site, True)
    operator = world.user(Role.OPERATOR)
    assert client.get(photo_url(stranger), headers=operator).status_code == 404
    login(client, Role.OPERATOR)
    assert client.get(f"/dashboard/alarms/{alarm.alarm_id}").status_code == 404
