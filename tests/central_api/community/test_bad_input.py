"""Bad input to sharing gets a clear error and changes nothing (SQLite and PostgreSQL).

The issue's list: an unknown member, a bad signature, a wrong TLP label (in a request,
and a report whose own label is not its item's), an oversized
attachment hash list, a feed cursor from the future. Terminal A is the `engine` fixture's
database with its API; the hub and terminal B are SQLite files. What is not here is
tested beside its feature: a bad signature in test_share_apply.py, a cursor from the
future in test_feed.py, a wrong label on the command line in test_community_cli.py.
"""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.community.envelope import MAX_ITEM_BYTES, ItemKind, SharedItem, Tlp, sign_item
from central_api.community.outgoing import share
from central_api.community.receive import ReceiveStatus, receive_payload
from central_api.community.refs import set_identity_ref
from central_api.community.verify import Refusal
from central_api.config import Settings
from central_api.crud.bans import issue_ban
from central_api.db import utc_now
from central_api.errors import InvalidError
from central_api.incidents.tables import Incident
from central_api.models import AuditEntry, PortBan, PortBanCreate, Role
from central_api.models.community import ReceivedItem, SharedItemOut, SharingRefusal
from testkit.api.decisions import enroll
from testkit.api.world import World
from testkit.community import SEAL_KEY, keys_of


def state(engine: Engine) -> tuple[int, ...]:
    """Rows that any applied or shared item would add to."""
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (PortBan, ReceivedItem, SharedItemOut, AuditEntry)
        )


def refusals(engine: Engine) -> dict[tuple[str, str], tuple[int, str]]:
    with Session(engine) as session:
        rows = session.exec(select(SharingRefusal)).all()
        return {(r.issuer, r.reason): (r.count, r.last_detail) for r in rows}


def receive(engine: Engine, payload: str) -> tuple[ReceiveStatus, Refusal | None]:
    with Session(engine) as session:
        got = receive_payload(session, payload, keys=keys_of(engine))
    return got.status, got.refusal


def test_an_item_of_an_unknown_member_is_refused_counted_and_changes_nothing(
    community: Engine, engine: Engine
) -> None:
    stranger = sign_item(
        SharedItem(
            community_id="nsp",
            issuer="term-x",
            sequence=1,
            kind=ItemKind.COMPANY_STATUS,
            tlp=Tlp.GREEN,
            issued_at=utc_now(),
            body={"name": "Quay Haulage", "status": "suspended"},
        ),
        Ed25519PrivateKey.generate(),
    )
    before = state(engine)
    assert receive(engine, stranger.model_dump_json()) == (
        ReceiveStatus.REFUSED,
        Refusal.UNKNOWN_ISSUER,
    )
    assert state(engine) == before
    [(count, detail)] = refusals(engine).values()
    assert (count, detail.split(" #")[0]) == (1, "term-x")


def test_an_oversized_attachment_hash_list_is_refused_on_receipt_and_changes_nothing(
    community: Engine, engine: Engine
) -> None:
    with Session(community) as session:
        item = share(
            session,
            keys_of(community),
            kind=ItemKind.INCIDENT,
            body={},
            tlp=Tlp.GREEN,
            actor="test",
        )
        session.commit()
    content = json.loads(item.model_dump_json())
    content["attachment_hashes"] = ["0" * 64] * 33  # one over the limit, as if signed so
    before = state(engine)
    assert receive(engine, json.dumps(content)) == (ReceiveStatus.REFUSED, Refusal.MALFORMED)
    assert state(engine) == before
    assert "attachment_hashes" in refusals(engine)[("", "malformed")][1]


def test_an_item_over_the_size_every_receiver_refuses_is_not_shared(community: Engine) -> None:
    before = state(community)
    with Session(community) as session, pytest.raises(InvalidError, match="over 65536"):
        share(
            session,
            keys_of(community),
            kind=ItemKind.INCIDENT,
            body={"narrative": "x" * MAX_ITEM_BYTES},
            tlp=Tlp.GREEN,
            actor="test",
        )
    assert state(community) == before


@pytest.fixture
def ban_id(community: Engine, engine: Engine, world: World, settings: Settings) -> str:
    """An active ban at terminal A of a person with an identity reference; the API's
    template key made the one the community keys are sealed with."""
    settings.template_key = SecretStr(base64.b64encode(SEAL_KEY).decode())
    person = enroll(engine, world, badge="B10001")
    with Session(engine) as session:
        set_identity_ref(
            session, keys_of(engine), person_id=person, document_number="NL-BI0001", actor="t"
        )
        ban = issue_ban(
            session=session,
            body=PortBanCreate(person_id=person, reason="theft", legal_reference="T-1"),
            username="officer",
            four_eyes=False,
        )
        return ban.id


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"tlp": "TLP:AMBER+STRICT", "recipients": ["nobody"]}, 404, "'nobody' not found"),
        ({"tlp": "TLP:YELLOW"}, 422, "TLP:AMBER+STRICT"),
        ({"tlp": "tlp:green"}, 422, "TLP:GREEN"),
        ({"tlp": "TLP:GREEN", "recipients": ["hub"]}, 422, "whole community"),
        ({"tlp": "TLP:RED"}, 422, "must name their recipients"),
        ({"tlp": "TLP:GREEN", "with_faces": True}, 422, "no face template"),
    ],
)
def test_a_share_request_with_bad_input_is_refused_with_a_message_and_changes_nothing(
    client: TestClient,
    world: World,
    engine: Engine,
    ban_id: str,
    body: dict[str, object],
    status: int,
    message: str,
) -> None:
    authority = world.user(Role.AUTHORITY)
    before = state(engine)
    answer = client.post(f"/api/v1/community/share/ban/{ban_id}", json=body, headers=authority)
    assert answer.status_code == status, answer.text
    assert message in answer.text
    assert state(engine) == before
    good = client.post(
        f"/api/v1/community/share/ban/{ban_id}", json={"tlp": "TLP:GREEN"}, headers=authority
    )
    assert good.status_code == 201, good.text


def test_a_report_whose_own_label_is_not_the_items_is_kept_unapplied_and_holds_nothing_up(
    community: Engine, engine: Engine
) -> None:
    body = {
        "schema": "portgate.incident/1",
        "ref": "inc-1",
        "kind": "tailgating",
        "occurred_at": utc_now().isoformat(),
        "narrative": "Two people through on one badge.",
        "tlp": "TLP:RED",  # the item below says GREEN: a wrong label
    }
    with Session(community) as session:
        keys = keys_of(community)
        wrong = share(session, keys, kind=ItemKind.INCIDENT, body=body, tlp=Tlp.GREEN, actor="test")
        right = share(
            session,
            keys,
            kind=ItemKind.INCIDENT,
            body={**body, "ref": "inc-2", "tlp": "TLP:GREEN"},
            tlp=Tlp.GREEN,
            actor="test",
        )
        session.commit()
    with Session(engine) as session:
        got = receive_payload(session, wrong.model_dump_json(), keys=keys_of(engine))
    assert got.status is ReceiveStatus.KEPT
    assert "label differs" in got.outcome
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Incident)).one() == 0
    assert receive(engine, right.model_dump_json()) == (ReceiveStatus.APPLIED, None)
    with Session(engine) as session:
        [stored] = session.exec(select(Incident)).all()
        assert (stored.issuer, stored.tlp) == ("hub", Tlp.GREEN)
