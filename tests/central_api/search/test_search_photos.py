"""The enrolled photo beside face decisions in event search, and every photo view audited.

An operator's or admin's search carries ``photo_url`` on a face decision only where the
event's site shows photos and a kept photo exists; the port authority's carries none, and
the CSV export never does. The photo route writes one ``person.photo_viewed`` row per
viewer, person and page in its window, and nothing for a 404 or a refused request.
"""

import json
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import central_api.security.throttle_storage as throttle_storage
from central_api.audit.chain import verify_chain
from central_api.config import Settings
from central_api.enroll.privacy import keep_photo
from central_api.enroll.settings import photo_key
from central_api.enroll.shown_photos import VIEW_WINDOW_MINUTES
from central_api.models import AuditEntry, Role, Site
from testkit.api.dashboard import add_person
from testkit.api.event_rows import event_row, insert_rows
from testkit.api.world import World

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0 a kept photo \xff\xd9"
SEARCH = "/api/v1/events/search"


def keep(engine: Engine, settings: Settings, person_id: str) -> None:
    with Session(engine) as session:
        keep_photo(
            session=session,
            person_id=person_id,
            template_id=None,
            photo=JPEG,
            key=photo_key(settings),
            days=30,
        )


def show_photos(engine: Engine, site_id: str, show: bool) -> None:
    with Session(engine) as session:
        site = session.get(Site, site_id)
        assert site is not None
        site.show_enrolled_photos = show
        session.add(site)
        session.commit()


def views(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        statement = select(AuditEntry).where(AuditEntry.action == "person.photo_viewed")
        return list(session.exec(statement.order_by(col(AuditEntry.seq))).all())


def seed(engine: Engine, settings: Settings, world: World) -> dict[str, str]:
    """Face decisions of Ana (photo kept), Bob (none) and Cas (other site); one badge-only."""
    ana = add_person(engine, world.site, "Ana Costa", None)
    bob = add_person(engine, world.site, "Bob Smit", None)
    cas = add_person(engine, world.other_site, "Cas Visser", None)
    for person in (ana, cas):
        keep(engine, settings, person)
    here, there = (
        {"site": world.site, "gate": world.gate},
        {
            "site": world.other_site,
            "gate": world.other_gate,
        },
    )
    cases = [(here, ana, 0.31), (here, ana, None), (here, bob, 0.2), (there, cas, 0.4)]
    rows = [
        # The second is a badge-only decision: no face compared, no score.
        event_row(n, **at, at=T0 + timedelta(seconds=n), person_id=person, face_score=score)
        for n, (at, person, score) in enumerate(cases)
    ]
    insert_rows(engine, rows)
    return {"ana": ana, "bob": bob, "cas": cas}


def photo_urls(client: TestClient, headers: dict[str, str]) -> dict[str, str | None]:
    answer = client.get(SEARCH, headers=headers)
    assert answer.status_code == 200, answer.text
    return {item["event_id"]: item.get("photo_url") for item in answer.json()["items"]}


def test_search_carries_photos_for_operators_where_the_events_site_shows_them(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    people = seed(engine, settings, world)
    operator, authority = world.user(Role.OPERATOR), world.user(Role.AUTHORITY)
    assert set(photo_urls(client, operator).values()) == {None}  # off by default

    show_photos(engine, world.site, True)
    ana_url = f"/dashboard/api/enrolled-photos/{people['ana']}?page=search"
    expected = {
        f"bulk-{world.site}-0": ana_url,  # the face decision of a person with a kept photo
        f"bulk-{world.site}-1": None,  # no face compared
        f"bulk-{world.site}-2": None,  # no photo kept of Bob
        f"bulk-{world.other_site}-3": None,  # the other site shows none
    }
    assert photo_urls(client, operator) == expected
    assert photo_urls(client, world.user(Role.ADMIN)) == expected
    photo = client.get(ana_url, headers=operator)
    assert photo.status_code == 200 and photo.content == JPEG

    show_photos(engine, world.other_site, True)  # an admin across sites: per event's site
    both = photo_urls(client, world.user(Role.ADMIN))
    assert both[f"bulk-{world.other_site}-3"] == (
        f"/dashboard/api/enrolled-photos/{people['cas']}?page=search"
    )
    # The authority searches every site and gets no photo, nor any trace of one.
    answer = client.get(SEARCH, headers=authority)
    assert answer.status_code == 200 and len(answer.json()["items"]) == 4
    assert all("photo_url" not in item for item in answer.json()["items"])
    assert "enrolled-photos" not in answer.text
    assert client.get(ana_url, headers=authority).status_code == 403


def test_the_export_carries_no_photo(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    seed(engine, settings, world)
    show_photos(engine, world.site, True)
    answer = client.get("/api/v1/events/export.csv", headers=world.user(Role.OPERATOR))
    assert answer.status_code == 200
    header = answer.text.splitlines()[0]
    assert "photo" not in header and "enrolled-photos" not in answer.text
    assert f"bulk-{world.site}-0" in answer.text  # the face decision itself is exported


def test_each_view_is_audited_once_per_viewer_person_and_page_in_the_window(
    client: TestClient,
    world: World,
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = seed(engine, settings, world)
    show_photos(engine, world.site, True)
    url = f"/dashboard/api/enrolled-photos/{people['ana']}"
    operator = world.user(Role.OPERATOR)
    for _ in range(3):  # the board asks again and again: one row
        assert client.get(f"{url}?page=dashboard", headers=operator).status_code == 200
    assert client.get(f"{url}?page=search", headers=operator).status_code == 200
    assert client.get(f"{url}?page=search", headers=world.user(Role.ADMIN)).status_code == 200
    rows = views(engine)
    assert [(r.actor, r.target, json.loads(r.after or "null")) for r in rows] == [
        ("user:operator-user", f"person:{people['ana']}", {"page": "dashboard"}),
        ("user:operator-user", f"person:{people['ana']}", {"page": "search"}),
        ("user:admin-user", f"person:{people['ana']}", {"page": "search"}),
    ]

    # After the window the same view is audited again.
    later = time.time() + VIEW_WINDOW_MINUTES * 60 + 1
    monkeypatch.setattr(throttle_storage, "time", SimpleNamespace(time=lambda: later))
    assert client.get(f"{url}?page=dashboard", headers=operator).status_code == 200
    assert len(views(engine)) == 4
    with Session(engine) as session:
        assert verify_chain(session=session).ok


def test_a_refused_or_missing_photo_writes_no_audit_row(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    people = seed(engine, settings, world)
    operator = world.user(Role.OPERATOR)
    ana = f"/dashboard/api/enrolled-photos/{people['ana']}"
    assert client.get(f"{ana}?page=search", headers=operator).status_code == 404  # rule off
    show_photos(engine, world.site, True)
    none_kept = client.get(f"/dashboard/api/enrolled-photos/{people['bob']}", headers=operator)
    assert none_kept.status_code == 404
    assert none_kept.json()["detail"] == "no photo to show for this person"
    nobody = client.get("/dashboard/api/enrolled-photos/no-such-person", headers=operator)
    assert nobody.status_code == 404
    bad_page = client.get(f"{ana}?page=elsewhere", headers=operator)
    assert bad_page.status_code == 422 and "page" in bad_page.text
    assert client.get(ana, headers=world.user(Role.SECURITY_DESK)).status_code == 403
    assert client.get(ana, headers=world.user(Role.AUTHORITY)).status_code == 403
    assert views(engine) == []
