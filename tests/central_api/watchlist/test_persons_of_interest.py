"""Persons of interest: the port authority's watchlist faces reach every site's gates."""

import cv2
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import Alarm, AuditEntry, FaceTemplate, PersonOfInterest, Role, Site
from gate_protocol.messages import AlarmKind
from gate_protocol.replica import ReplicaDelta, ReplicaSnapshot, WatchlistSource, decode_replica
from testkit.api.enrollment import face
from testkit.api.world import World
from testkit.image_bombs import png_bomb

ROUTE = "/api/v1/watchlist/persons-of-interest"


def replica(client: TestClient, world: World, gate: str, since: int | None = None):  # type: ignore[no-untyped-def]
    suffix = "" if since is None else f"?since={since}"
    answer = client.get(f"/api/v1/gates/{gate}/replica{suffix}", headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return decode_replica(answer.content)


def add(client: TestClient, world: World, photo: bytes, role: Role = Role.AUTHORITY, **form: str):  # type: ignore[no-untyped-def]
    data = {"label": "Trespasser 12", "reason": "climbed the fence at quay 4", **form}
    return client.post(
        ROUTE, headers=world.user(role), data=data, files={"photo": ("p.jpg", photo, "image/jpeg")}
    )


def blank() -> bytes:
    """A grey picture: an image without a face."""
    ok, data = cv2.imencode(".png", np.full((300, 400, 3), 128, np.uint8))
    assert ok
    return bytes(data)


def state(engine: Engine) -> tuple[int, dict[str, int], int]:
    with Session(engine) as session:
        rows = len(session.exec(select(PersonOfInterest)).all())
        versions = {s.id: s.replica_version for s in session.exec(select(Site)).all()}
        audit = len(session.exec(select(AuditEntry)).all())
    return rows, versions, audit


def test_a_person_of_interest_reaches_every_site_s_replica_and_goes_again(
    client: TestClient, world: World, engine: Engine
) -> None:
    before = {gate: replica(client, world, gate).version for gate in (world.gate, world.other_gate)}
    answer = add(client, world, face("biden.jpg"))
    assert answer.status_code == 201, answer.text
    added = answer.json()
    assert (
        added["entry_id"] == f"poi:{added['id']}" and added["entered_by"] == "user:authority-user"
    )
    # By key, not by substring: a random hex id may well contain "b64".
    assert not [key for key in added if "template" in key or "b64" in key or "encoding" in key]
    assert len(answer.content) < 1000, "no 128-number encoding in the answer"
    for gate in (world.gate, world.other_gate):  # port-wide: both sites
        snapshot = replica(client, world, gate)
        assert isinstance(snapshot, ReplicaSnapshot)
        assert [(w.entry_id, w.source) for w in snapshot.watchlist] == [
            (added["entry_id"], WatchlistSource.PERSON_OF_INTEREST)
        ]
        delta = replica(client, world, gate, since=before[gate])
        assert isinstance(delta, ReplicaDelta) and delta.watchlist == snapshot.watchlist
    with Session(engine) as session:
        row = session.get(PersonOfInterest, added["id"])
        assert row is not None and row.reason == "climbed the fence at quay 4"
        assert snapshot.watchlist[0].encoding_b64.encode() not in row.ciphertext
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert "watchlist.poi_add" in actions
    listed = client.get(ROUTE, headers=world.user(Role.AUTHORITY)).json()
    assert [p["id"] for p in listed] == [added["id"]]
    # An unrelated change later: its delta leaves the gate's watchlist alone (None).
    version = replica(client, world, world.gate).version
    assert (
        client.delete(f"{ROUTE}/{added['id']}", headers=world.user(Role.ADMIN)).status_code == 204
    )
    after = replica(client, world, world.gate, since=version)
    assert isinstance(after, ReplicaDelta) and after.watchlist == ()
    assert replica(client, world, world.other_gate).watchlist == ()
    assert client.get(ROUTE, headers=world.user(Role.AUTHORITY)).json() == []


def test_bad_input_is_refused_with_a_reason_and_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    unchanged = state(engine)
    cases = [
        (add(client, world, blank()), 422, "No face found"),
        (add(client, world, face("two_people.jpg")), 422, "More than one face"),
        (add(client, world, face("obama_small.jpg")[:200]), 422, "refused"),
        (add(client, world, png_bomb(40_000, 40_000)), 422, "refused"),
        (add(client, world, face("biden.jpg"), reason="  "), 422, "reason"),
        (add(client, world, face("biden.jpg"), label=""), 422, "label"),
        (
            add(
                client,
                world,
                face("biden.jpg"),
                valid_from="2027-01-02T00:00:00Z",
                valid_until="2027-01-01T00:00:00Z",
            ),
            422,
            "valid_until",
        ),
        (add(client, world, face("biden.jpg"), role=Role.SECURITY_DESK), 403, "may not"),
        (add(client, world, face("biden.jpg"), role=Role.OPERATOR), 403, "may not"),
        (client.delete(f"{ROUTE}/nobody", headers=world.user(Role.AUTHORITY)), 404, "nobody"),
        (client.get(ROUTE, headers=world.user(Role.SECURITY_DESK)), 403, "may not"),
    ]
    for answer, status, words in cases:
        assert answer.status_code == status, answer.text
        assert words in answer.text, answer.text
    assert state(engine) == unchanged


def test_a_watchlisted_face_is_not_enrolled_under_a_new_name(
    client: TestClient, world: World, engine: Engine
) -> None:
    desk = world.user(Role.SECURITY_DESK)
    person = client.post(
        "/api/v1/enroll/people",
        json={"site_id": world.site, "display_name": "New Name", "kind": "driver"},
        headers=desk,
    ).json()["id"]
    photo = face("biden.jpg")
    answer = add(client, world, photo)
    assert answer.status_code == 201, answer.text
    entry = answer.json()["entry_id"]
    refused = client.post(
        f"/api/v1/enroll/people/{person}/photos", files={"photo": ("p.jpg", photo)}, headers=desk
    )
    assert refused.status_code == 409 and entry in refused.json()["detail"]
    with Session(engine) as session:
        assert session.exec(select(FaceTemplate)).all() == []
        alarms = session.exec(select(Alarm)).all()
        audited = session.exec(
            select(AuditEntry).where(AuditEntry.action == "watchlist.enroll_hit")
        ).all()
    assert [(a.kind, a.site_id, a.person_id) for a in alarms] == [
        (AlarmKind.WATCHLIST, world.site, person)
    ]
    assert [a.target for a in audited] == [f"person:{person}"]
    # Another face is enrolled as before.
    other = client.post(
        f"/api/v1/enroll/people/{person}/photos",
        files={"photo": ("p.jpg", face("obama.jpg"))},
        headers=desk,
    )
    assert other.status_code == 201, other.text
