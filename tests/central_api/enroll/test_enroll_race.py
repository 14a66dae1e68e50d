"""Two desks enroll the same face at the same moment: one is saved, one waits for four eyes.

Two concurrent requests (real face detection and encoding, two different photos of the
same real person) add a face to two different new people, on SQLite and on PostgreSQL.
The test holds each request inside its duplicate search until the other one has reached
its own (or 3 s have passed): without the enrollment lock both searches find nobody and
both faces are saved (the race this test exists to catch); with it the second search
waits for the first commit and sees the first face.
"""

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.enroll.face_lock import lock_face_enrollment
from central_api.enroll.gallery import FaceGallery
from central_api.enroll.tables import PendingFace
from central_api.models import FaceTemplate, Role
from testkit.api.enrollment import clear_enroll_tables, enroll_settings, face
from testkit.api.world import PASSWORD, World


@pytest.fixture
def settings(engine: Engine) -> Settings:
    clear_enroll_tables(engine)
    return enroll_settings(engine)


@pytest.fixture
def both_search_at_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Barrier]:
    """Hold each duplicate search until two are in flight (3 s at most)."""
    barrier = threading.Barrier(2, timeout=3)
    search = FaceGallery.find_duplicates

    def held_search(self: FaceGallery, **kwargs: Any) -> Any:
        hits = search(self, **kwargs)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other request is waiting for the lock: carry on alone
        return hits

    monkeypatch.setattr(FaceGallery, "find_duplicates", held_search)
    yield barrier


def _new_person(client: TestClient, world: World, name: str) -> str:
    answer = client.post(
        "/api/v1/enroll/people",
        json={"site_id": "rtm", "display_name": name, "kind": "driver"},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _templates(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(FaceTemplate)).one())


def test_two_desks_saving_the_same_face_at_once_save_it_once(
    client: TestClient,
    world: World,
    engine: Engine,
    both_search_at_once: threading.Barrier,
) -> None:
    people = {
        _new_person(client, world, "Barack Obama"): face("obama.jpg"),
        _new_person(client, world, "Not Obama Either"): face("obama2.jpg"),
    }
    desk = world.user(Role.SECURITY_DESK)

    def add(person: str) -> tuple[str, int, dict[str, Any]]:
        answer = client.post(
            f"/api/v1/enroll/people/{person}/photos",
            files={"photo": ("p.jpg", people[person])},
            headers=desk,
        )
        return person, answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(add, people))

    by_status = {status: (person, body) for person, status, body in results}
    assert sorted(by_status) == [201, 409], results
    saved, _ = by_status[201]
    held, outcome = by_status[409]
    assert outcome["status"] == "duplicate"
    assert [c["person_id"] for c in outcome["candidates"]] == [saved]
    assert _templates(engine) == 1, "one face, one identity until a second user decides"
    with Session(engine) as session:
        pending = session.exec(select(PendingFace)).one()
    assert pending.person_id == held and pending.id == outcome["pending_id"]

    confirmed = client.post(
        f"/api/v1/enroll/pending-faces/{pending.id}/confirm",
        json={"username": "admin-user", "password": PASSWORD},
        headers=desk,
    )
    assert confirmed.status_code == 201, confirmed.text
    assert _templates(engine) == 2


def test_a_bulk_import_and_a_desk_saving_the_same_face_at_once_save_it_once(
    client: TestClient,
    world: World,
    engine: Engine,
    both_search_at_once: threading.Barrier,
) -> None:
    desk = world.user(Role.SECURITY_DESK)
    at_desk = _new_person(client, world, "Barack Obama")
    imported = json.dumps({"site_id": "rtm", "display_name": "Imported Twin", "kind": "driver"})

    def add() -> int:
        answer = client.post(
            f"/api/v1/enroll/people/{at_desk}/photos",
            files={"photo": ("p.jpg", face("obama.jpg"))},
            headers=desk,
        )
        return answer.status_code

    def import_row() -> tuple[int, dict[str, Any]]:
        answer = client.post(
            "/api/v1/enroll/import/person",
            data={"person": imported},
            files=[("photos", ("twin.jpg", face("obama2.jpg")))],
            headers=desk,
        )
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        desk_future, import_future = pool.submit(add), pool.submit(import_row)
        desk_status, (import_status, import_outcome) = desk_future.result(), import_future.result()

    assert _templates(engine) == 1, (desk_status, import_status, import_outcome)
    if desk_status == 201:
        assert import_status == 422 and "possible duplicate" in import_outcome["reason"]
    else:
        assert desk_status == 409 and import_status == 201, "the import won: the desk is held"


def test_two_imports_of_the_same_row_at_once_create_one_person(
    client: TestClient,
    world: World,
    engine: Engine,
    both_search_at_once: threading.Barrier,
) -> None:
    """A re-run started while the first run is still importing the row finds it done."""
    desk = world.user(Role.SECURITY_DESK)
    row = json.dumps(
        {"site_id": "rtm", "display_name": "Row Twice", "kind": "driver", "external_id": "HR-77"}
    )

    def import_row(_: int) -> tuple[int, dict[str, Any]]:
        answer = client.post(
            "/api/v1/enroll/import/person",
            data={"person": row},
            files=[("photos", ("row.jpg", face("obama.jpg")))],
            headers=desk,
        )
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(import_row, range(2)), key=lambda r: r[0])

    (first_status, first), (second_status, second) = results
    assert (first_status, second_status) == (200, 201), results
    assert first["status"] == "exists" and first["person_id"] == second["person_id"]
    assert _templates(engine) == 1


def test_the_lock_waits_for_the_holder_to_commit(engine: Engine) -> None:
    """A second transaction cannot take the enrollment lock until the first one ends."""
    taken = threading.Event()
    with Session(engine) as first:
        lock_face_enrollment(session=first)

        def second() -> None:
            with Session(engine) as session:
                lock_face_enrollment(session=session)
                taken.set()
                session.commit()

        thread = threading.Thread(target=second)
        thread.start()
        assert not taken.wait(0.5), "the lock is held by the first transaction"
        first.commit()
    thread.join(timeout=10)
    assert taken.is_set(), "the commit released the lock"
