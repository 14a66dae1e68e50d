"""Photos at the desk (real face detection and encoding, SQLite only to keep it quick).

Quality feedback with its reasons, templates encrypted at rest, the 1:N duplicate check
with a second desk user's confirmation, kept photos encrypted and purged.
"""

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.db import make_engine, utc_now
from central_api.enroll.privacy import purge_expired, read_photo
from central_api.enroll.settings import EnrollSettings, photo_key
from central_api.enroll.tables import PendingFace, RetainedPhoto
from central_api.models import AuditEntry, FaceTemplate, Role
from testkit.api.enrollment import enroll_settings, face
from testkit.api.world import PASSWORD, World
from testkit.image_bombs import no_pixels_decoded, png_bomb


@pytest.fixture
def engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "portgate.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return enroll_settings(engine)


def _jpeg(pixels: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR))
    assert ok
    return data.tobytes()


def _pixels(name: str) -> np.ndarray:
    data = np.frombuffer(face(name), dtype=np.uint8)
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _check(client: TestClient, world: World, photo: bytes) -> tuple[int, dict[str, object]]:
    answer = client.post(
        "/api/v1/enroll/photos/check",
        files={"photo": ("p.jpg", photo)},
        headers=world.user(Role.SECURITY_DESK),
    )
    return answer.status_code, answer.json()


def test_quality_feedback_names_the_reason(client: TestClient, world: World) -> None:
    small = _pixels("obama-480p.jpg")
    cases = {
        "no_face": _jpeg(np.full((240, 320, 3), 128, dtype=np.uint8)),
        "several_faces": face("two_people.jpg"),
        "too_small": face("obama-240p.jpg"),
        "too_dark": _jpeg((small * 0.15).astype(np.uint8)),
        "blurred": _jpeg(cv2.GaussianBlur(small, (0, 0), 6)),
    }
    for reason, photo in cases.items():
        status, outcome = _check(client, world, photo)
        assert status == 422, reason
        assert outcome["status"] == "rejected"
        assert outcome["reasons"][0] == reason
        assert outcome["messages"], "each reason comes with a sentence for the desk"
    status, outcome = _check(client, world, face("obama-480p.jpg"))
    assert status == 200 and outcome["status"] == "ok"
    assert 0 < float(outcome["quality"]) <= 1  # type: ignore[arg-type]


@pytest.mark.parametrize("photo", [b"", b"GIF89a not really", b"\xff\xd8\xff" + b"\x00" * 100])
def test_a_file_that_is_not_a_photo_is_refused_clearly(
    client: TestClient, world: World, photo: bytes
) -> None:
    status, outcome = _check(client, world, photo)
    assert status == 422
    assert "image" in str(outcome["detail"]) or "empty" in str(outcome["detail"])


def test_a_png_bomb_is_refused_by_its_header_before_decoding(
    client: TestClient, world: World
) -> None:
    # 875 KB on the wire, 900 megapixels (2.7 GB) decoded: the header alone refuses it.
    bomb = png_bomb(30000, 30000)
    with no_pixels_decoded():
        status, outcome = _check(client, world, bomb)
    assert status == 422
    assert "too many pixels" in str(outcome["detail"])
    status, outcome = _check(client, world, png_bomb(6000, 4001))
    assert status == 422
    assert "at most 24 megapixels" in str(outcome["detail"])


def _new_person(client: TestClient, world: World, name: str) -> str:
    answer = client.post(
        "/api/v1/enroll/people",
        json={"site_id": "rtm", "display_name": name, "kind": "driver"},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert answer.status_code == 201
    return str(answer.json()["id"])


def _add(
    client: TestClient, world: World, person: str, photo: bytes
) -> tuple[int, dict[str, object]]:
    answer = client.post(
        f"/api/v1/enroll/people/{person}/photos",
        files={"photo": ("p.jpg", photo)},
        headers=world.user(Role.SECURITY_DESK),
    )
    return answer.status_code, answer.json()


def test_a_duplicate_face_waits_for_a_second_desk_user(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    first = _new_person(client, world, "Barack Obama")
    status, outcome = _add(client, world, first, face("obama.jpg"))
    assert status == 201 and outcome["status"] == "accepted" and outcome["templates"] == 1
    with Session(engine) as session:
        stored = session.exec(select(FaceTemplate)).one()
    assert len(stored.ciphertext) == 512 + 16, "AES-GCM: the template plus the tag, no plaintext"

    impostor = _new_person(client, world, "Someone Else")
    status, outcome = _add(client, world, impostor, face("obama2.jpg"))
    assert status == 409 and outcome["status"] == "duplicate"
    assert [c["person_id"] for c in outcome["candidates"]] == [first]  # type: ignore[union-attr]
    pending = str(outcome["pending_id"])
    assert (
        client.get(
            f"/api/v1/enroll/people/{impostor}", headers=world.user(Role.SECURITY_DESK)
        ).json()["templates"]
        == 0
    )

    confirm = f"/api/v1/enroll/pending-faces/{pending}/confirm"
    same_user = client.post(confirm, headers=world.user(Role.SECURITY_DESK))
    assert same_user.status_code == 409 and "second desk user" in same_user.json()["detail"]
    wrong_password = client.post(
        confirm,
        json={"username": "admin-user", "password": "nope"},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert wrong_password.status_code == 403
    operator = client.post(
        confirm,
        json={"username": "operator-user", "password": PASSWORD},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert operator.status_code == 403, "an operator may not vouch for an enrollment"
    confirmed = client.post(
        confirm,
        json={"username": "admin-user", "password": PASSWORD},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["templates"] == 1
    with Session(engine) as session:
        assert session.exec(select(PendingFace)).all() == []
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.target == f"person:{impostor}")
        ).all()
    actions = {a.action: a for a in audit}
    assert actions["face.duplicate_hit"].actor == "user:security_desk-user"
    assert actions["face.duplicate_confirm"].actor == "user:admin-user"
    assert "security_desk-user" in (actions["face.duplicate_confirm"].after or "")
    assert client.post(confirm, headers=world.user(Role.ADMIN)).status_code == 404


def test_kept_photos_are_encrypted_and_purged(
    client: TestClient, app: FastAPI, world: World, engine: Engine, settings: Settings
) -> None:
    app.state.enroll_settings = EnrollSettings(PORTGATE_PHOTO_RETENTION_DAYS=30)
    person = _new_person(client, world, "Barack Obama")
    photo = face("obama-480p.jpg")
    status, outcome = _add(client, world, person, photo)
    assert status == 201, outcome
    with Session(engine) as session:
        kept = session.exec(select(RetainedPhoto)).one()
        assert photo not in kept.ciphertext
        assert read_photo(row=kept, key=photo_key(settings)) == photo
        assert kept.expires_at - kept.created_at == timedelta(days=30)
        assert purge_expired(session=session, now=utc_now()) == {"photos": 0, "pending_faces": 0}
        later = utc_now() + timedelta(days=31)
        assert purge_expired(session=session, now=later)["photos"] == 1
        assert session.exec(select(RetainedPhoto)).all() == []
        assert session.exec(select(FaceTemplate)).one(), "the template stays; only the photo goes"


def test_without_retention_no_photo_is_kept(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = _new_person(client, world, "Barack Obama")
    status, _ = _add(client, world, person, face("obama-480p.jpg"))
    assert status == 201
    with Session(engine) as session:
        assert session.exec(select(RetainedPhoto)).all() == []


def test_only_an_admin_purges_on_demand(client: TestClient, world: World) -> None:
    url = "/api/v1/enroll/photos/purge"
    assert client.post(url, headers=world.user(Role.SECURITY_DESK)).status_code == 403
    answer = client.post(url, headers=world.user(Role.ADMIN))
    assert answer.status_code == 200
    assert answer.json() == {"photos": 0, "pending_faces": 0}
