"""QR passes from the desk: signed for the visit, printed as PNG and PDF, refused cleanly."""

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.models import Alarm, Appointment, Company, Role
from gate_protocol.passes.keys import PassKeyring
from gate_protocol.passes.token import PassRejected, PassRejectReason, PassVerified, verify_pass
from testkit.api.enrollment import PUBLIC_KEYS, clear_enroll_tables, enroll_settings, face
from testkit.api.world import World


@pytest.fixture
def settings(engine: Engine) -> Settings:
    clear_enroll_tables(engine)
    return enroll_settings(engine)


def _driver(client: TestClient, world: World) -> str:
    answer = client.post(
        "/api/v1/enroll/people",
        json={
            "site_id": "rtm",
            "display_name": "Piet Jansen",
            "kind": "driver",
            "company": "Waalhaven Transport",
        },
        headers=world.user(Role.SECURITY_DESK),
    )
    assert answer.status_code == 201
    return str(answer.json()["id"])


def _window(hours_from_now: float = 1, length_h: float = 8) -> dict[str, str]:
    start = datetime.now(UTC) + timedelta(hours=hours_from_now)
    return {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=length_h)).isoformat(),
    }


def _appointments(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Appointment)).one())


def test_issued_pass_verifies_offline_and_prints(client: TestClient, world: World) -> None:
    desk = world.user(Role.SECURITY_DESK)
    person = _driver(client, world)
    body = {"gates": [world.gate], "plate": "ab 123 c", **_window()}
    answer = client.post(f"/api/v1/enroll/people/{person}/passes", json=body, headers=desk)
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    keyring = PassKeyring.from_entries(PUBLIC_KEYS)
    inside = datetime.now(UTC) + timedelta(hours=2)
    verdict = verify_pass(issued["token"], keyring=keyring, gate_id=world.gate, now=inside)
    assert isinstance(verdict, PassVerified)
    claims = verdict.claims
    assert claims.holder_id == person and claims.pass_id == issued["pass_id"]
    assert claims.plate == "AB123C" and claims.one_time
    elsewhere = verify_pass(issued["token"], keyring=keyring, gate_id=world.other_gate, now=inside)
    assert isinstance(elsewhere, PassRejected) and elsewhere.reason is PassRejectReason.WRONG_GATE
    appointment = client.get(
        f"/api/v1/appointments/{issued['appointment_id']}", headers=desk
    ).json()
    assert appointment["pass_id"] == issued["pass_id"]

    card = client.post(
        f"/api/v1/enroll/passes/{issued['pass_id']}/card",
        params={"format": "png"},
        files={"photo": ("p.jpg", face("obama-480p.jpg"))},
        headers=desk,
    )
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(card.content))
    assert image.size == (1011, 638)
    codes = zxingcpp.read_barcodes(np.asarray(image.convert("L")))
    assert [c.text for c in codes] == [issued["token"]]
    pdf = client.post(
        f"/api/v1/enroll/passes/{issued['pass_id']}/card", params={"format": "pdf"}, headers=desk
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    again = client.get(f"/api/v1/enroll/passes/{issued['pass_id']}", headers=desk).json()
    assert again["token"] == issued["token"]


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"gates": ["ams-1"]}, 404, "ams-1"),
        ({"gates": ["no-such-gate"]}, 404, "no-such-gate"),
        ({**_window(hours_from_now=-10, length_h=2)}, 422, "over"),
        ({"window_end": "2020-01-01T00:00:00Z"}, 422, "window_end"),
        ({"plate": "AB/123"}, 422, "plate"),
        ({"gates": ["north-1", "south-1"], "plate": "AB123CD"}, 422, "QR version 6-M"),
    ],
)
def test_a_pass_that_cannot_be_issued_books_nothing(
    client: TestClient,
    world: World,
    engine: Engine,
    change: dict[str, object],
    status: int,
    message: str,
) -> None:
    person = _driver(client, world)
    body = {"gates": [world.gate], **_window(), **change}
    answer = client.post(
        f"/api/v1/enroll/people/{person}/passes", json=body, headers=world.user(Role.SECURITY_DESK)
    )
    assert answer.status_code == status, answer.text
    assert message in answer.text
    assert _appointments(engine) == 0


def test_without_a_signing_key_the_desk_is_told_why(
    client: TestClient, world: World, settings: Settings
) -> None:
    person = _driver(client, world)
    settings.pass_signing_key = None
    answer = client.post(
        f"/api/v1/enroll/people/{person}/passes",
        json={"gates": [world.gate], **_window()},
        headers=world.user(Role.SECURITY_DESK),
    )
    assert answer.status_code == 503
    assert "PORTGATE_PASS_SIGNING_KEY" in answer.json()["detail"]


def test_a_cancelled_pass_no_longer_opens_and_a_used_one_cannot_be_cancelled(
    client: TestClient, world: World, engine: Engine
) -> None:
    from testkit.api.decisions import query

    desk = world.user(Role.SECURITY_DESK)
    person = _driver(client, world)
    now = datetime.now(UTC)
    window = {
        "window_start": (now - timedelta(minutes=5)).isoformat(),
        "window_end": (now + timedelta(hours=2)).isoformat(),
    }

    def issue() -> dict[str, str]:
        answer = client.post(
            f"/api/v1/enroll/people/{person}/passes",
            json={"gates": [world.gate], **window},
            headers=desk,
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def at_the_gate(token: str) -> tuple[str, str]:
        body = query(credential_kind="qr_pass", pass_token=token)
        answer = client.post("/api/v1/decisions", json=body, headers=world.gate_key()).json()
        return answer["decision"], answer["reason"]

    used, cancelled = issue(), issue()
    assert at_the_gate(used["token"]) == ("granted", "granted")
    refused = client.delete(f"/api/v1/enroll/passes/{used['pass_id']}", headers=desk)
    assert refused.status_code == 409 and "already used" in refused.text

    answer = client.delete(f"/api/v1/enroll/passes/{cancelled['pass_id']}", headers=desk)
    assert answer.status_code == 204, answer.text
    assert at_the_gate(cancelled["token"]) == ("denied", "unknown_credential")
    assert (
        client.get(f"/api/v1/enroll/passes/{cancelled['pass_id']}", headers=desk).status_code == 404
    )
    again = client.delete(f"/api/v1/enroll/passes/{cancelled['pass_id']}", headers=desk)
    assert again.status_code == 404
    assert _appointments(engine) == 1  # the used one's visit is kept
    with Session(engine) as session:
        from central_api.models import AuditEntry

        actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("pass.cancel") == 1


def test_a_desk_pass_books_the_driver_s_company_and_feeds_the_haulier_pattern(
    client: TestClient, world: World, engine: Engine
) -> None:
    desk = world.user(Role.SECURITY_DESK)
    person = _driver(client, world)
    with Session(engine, expire_on_commit=False) as session:
        others = [Company(name="Maas Logistics"), Company(name="Botlek Bulk")]
        session.add_all(others)
        session.commit()
    booked = []
    for hours, company in ((1, None), (30, others[0].id), (60, others[1].id)):
        if company is not None:
            moved = client.patch(
                f"/api/v1/people/{person}", json={"company_id": company}, headers=desk
            )
            assert moved.status_code == 200, moved.text
        body = {"gates": [world.gate], **_window(hours_from_now=hours)}
        answer = client.post(f"/api/v1/enroll/people/{person}/passes", json=body, headers=desk)
        assert answer.status_code == 201, answer.text
        booked.append(answer.json()["appointment_id"])
    with Session(engine) as session:
        first = session.get(Appointment, booked[0])
        assert first is not None and first.company_id is not None
        assert session.get(Company, first.company_id).name == "Waalhaven Transport"  # type: ignore[union-attr]
        found = [
            a.detail
            for a in session.exec(select(Alarm)).all()
            if a.detail.startswith(f"driver {person} booked for several haulier companies")
        ]
    (detail,) = found
    assert "(Botlek Bulk, Maas Logistics, Waalhaven Transport)" in detail
