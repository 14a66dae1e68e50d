"""A bulk-import row whose face is an identity enrolled at another site offers its activation.

One identity, many terminals: the row is refused (nothing created) and the outcome names
the identity and the command that activates it at the row's site, instead of leaving the
desk a second enrollment of the same face. A duplicate already active at the row's own
site stays a plain possible duplicate.
"""

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.models import Person, Role
from testkit.api.enrollment import face
from testkit.api.world import World


def _import(client: TestClient, world: World, site: str, name: str, photo: str):  # type: ignore[no-untyped-def]
    row = json.dumps({"site_id": site, "display_name": name, "kind": "driver"})
    return client.post(
        "/api/v1/enroll/import/person",
        data={"person": row},
        files=[("photos", (photo, face(photo)))],
        headers=world.user(Role.SECURITY_DESK),
    )


def _people(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Person)).one()


def test_a_face_enrolled_at_another_site_is_offered_for_activation_not_duplicated(
    client: TestClient, world: World, engine: Engine
) -> None:
    created = _import(client, world, world.other_site, "Barack Obama", "obama.jpg")
    assert created.status_code == 201, created.text
    known = created.json()["person_id"]
    before = _people(engine)

    offered = _import(client, world, world.site, "B. Obama", "obama2.jpg")
    assert offered.status_code == 422, offered.text
    outcome = offered.json()
    assert outcome["status"] == "rejected" and outcome["activate_person_id"] == known
    assert f"portgate enroll person activate {known} --site {world.site}" in outcome["reason"]
    assert f"active at {world.other_site}" in outcome["reason"]
    assert _people(engine) == before  # nothing created

    # The offer is what the desk does next: the one identity, now active here too.
    activated = client.post(
        f"/api/v1/people/{known}/activations",
        json={"site_id": world.site, "access_groups": []},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert activated.status_code in (200, 201), activated.text
    again = _import(client, world, world.site, "B. Obama", "obama2.jpg")
    assert again.status_code == 422
    # Active at this site already: a plain duplicate, nothing to activate.
    assert again.json()["activate_person_id"] is None
    assert "possible duplicate" in again.json()["reason"]
    assert _people(engine) == before
