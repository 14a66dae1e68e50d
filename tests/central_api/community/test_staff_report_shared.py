"""A worker's report, made an incident at the desk, reaches the hub and no one else.

The chain of issue 20.3 ("a report can become a shared incident"): the anonymous phone
report with a name and a photo, triaged into a TLP:AMBER+STRICT incident, shared by
terminal A; the hub stores it with the photo by hash and without the reporter's name,
terminal B refuses it.
"""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.community.incidents import share_incident
from central_api.community.receive import ReceiveStatus, receive_payload
from central_api.community.verify import Refusal
from central_api.incidents.tables import Incident
from central_api.models import Role
from central_api.staff_reports.tables import StaffReport
from testkit.api.staff_reports import phone_photo, send_report
from testkit.api.world import World
from testkit.community import keys_of

REPORTER = "Jan de Vries"


def test_a_staff_report_travels_as_an_incident_to_the_hub_without_its_reporter(
    client: TestClient, community: Engine, engine: Engine, world: World, term_b: Engine
) -> None:
    sent = send_report(client, site=world.site, where="fence", name=REPORTER, photo=phone_photo())
    assert sent.status_code == 201, sent.text
    authority = world.user(Role.AUTHORITY)
    report_id = client.get("/api/v1/staff-reports", headers=authority).json()[0]["id"]
    made = client.post(
        f"/api/v1/staff-reports/{report_id}/incident",
        json={"tlp": "TLP:AMBER+STRICT"},
        headers=authority,
    )
    assert made.status_code == 201, made.text
    with Session(engine) as session:
        item = share_incident(
            session, keys_of(engine), incident_id=made.json()["incident_id"], actor="test"
        )
        session.commit()
        photo_hash = session.exec(select(StaffReport.photo_sha256)).one()
    payload = item.model_dump_json()
    assert REPORTER not in payload and photo_hash in payload

    with Session(community) as session:
        got = receive_payload(session, payload, keys=keys_of(community))
        assert (got.status, got.refusal) == (ReceiveStatus.APPLIED, None)
        [received] = session.exec(select(Incident)).all()
    assert received.issuer == "term-a" and received.attachments == [photo_hash]
    assert "cutting the wire" in received.narrative and REPORTER not in received.narrative
    with Session(term_b) as session:
        refused = receive_payload(session, payload, keys=keys_of(term_b))
        assert refused.refusal is Refusal.NOT_FOR_US
        assert session.exec(select(Incident)).all() == []
