"""A ban and a company status shared at the hub are applied at a member (SQLite and PostgreSQL).

The member is the `engine` fixture's database (both kinds) with its API; the hub is a
second installation on its own SQLite file. Items go from the hub's outgoing log to the
member's receiver as the bus would carry them (the transport is tested elsewhere).
"""

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from central_api.community.bans import share_ban, share_ban_lift
from central_api.community.companies import share_company_status
from central_api.community.envelope import SharedItem, Tlp
from central_api.community.members import remove_member
from central_api.community.outgoing import pending_items
from central_api.community.receive import ReceiveStatus, receive_payload
from central_api.community.refs import set_identity_ref
from central_api.community.verify import Refusal
from central_api.crud.bans import issue_ban, lift_ban
from central_api.crud.companies import find_company, set_company_status
from central_api.models import AuditEntry, Company, PortBan, PortBanCreate
from central_api.models.community import CommunityBan, ReceivedItem, SharingRefusal
from gate_protocol.records import CompanyStatus
from testkit.api.decisions import enroll, query
from testkit.api.world import World
from testkit.community import keys_of

DOCUMENT = "NL-AB1234567"


def shared_ban(hub: Engine, hub_world: World, number: str = DOCUMENT) -> tuple[str, SharedItem]:
    person = enroll(hub, hub_world, badge="BB0001")
    keys = keys_of(hub)
    with Session(hub) as session:
        set_identity_ref(session, keys, person_id=person, document_number=number, actor="test")
        ban = issue_ban(
            session=session,
            body=PortBanCreate(person_id=person, reason="cargo theft", legal_reference="PA-7"),
            username="pa-officer",
            four_eyes=False,
        )
        item = share_ban(session, keys, ban_id=ban.id, tlp=Tlp.GREEN, actor="test")
        session.commit()
        return ban.id, item


def receive(engine: Engine, payload: str | bytes) -> tuple[ReceiveStatus, Refusal | None, str]:
    with Session(engine) as session:
        got = receive_payload(session, payload, keys=keys_of(engine))
    return got.status, got.refusal, got.outcome


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(PortBan)).one(),
            session.exec(select(func.count()).select_from(ReceivedItem)).one(),
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def test_a_hub_ban_denies_at_the_member_and_its_lift_grants_again(
    community: Engine,
    hub: tuple[Engine, World],
    engine: Engine,
    world: World,
    client: TestClient,
) -> None:
    person = enroll(engine, world, badge="AB0001")
    with Session(engine) as session:
        set_identity_ref(
            session,
            keys_of(engine),
            person_id=person,
            document_number="nl ab 1234567",
            actor="test",
        )
    ban_id, item = shared_ban(community, hub[1])
    status, _, outcome = receive(engine, item.model_dump_json())
    assert status is ReceiveStatus.APPLIED, outcome
    answer = client.post("/api/v1/decisions", json=query("AB0001"), headers=world.gate_key())
    assert answer.json()["reason"] == "port_ban"
    assert answer.json()["detail"] == f"PA-7 [hub/{ban_id}]"
    before = counts(engine)
    assert receive(engine, item.model_dump_json())[0] is ReceiveStatus.DUPLICATE
    assert counts(engine) == before, "a redelivered item is not applied twice"
    with Session(engine) as session:
        actions = session.exec(select(AuditEntry.action).order_by(col(AuditEntry.seq))).all()
        assert actions[-3:] == ["community.receive", "ban.issue", "community.apply"]
    with Session(community) as session:
        lift_ban(session=session, ban_id=ban_id, username="pa-officer", reason="appeal granted")
        lift = share_ban_lift(
            session, keys_of(community), ban_id=ban_id, tlp=Tlp.GREEN, actor="test"
        )
        session.commit()
    assert receive(engine, lift.model_dump_json())[0] is ReceiveStatus.APPLIED
    answer = client.post("/api/v1/decisions", json=query("AB0001"), headers=world.gate_key())
    assert answer.json()["decision"] == "granted"


def test_a_ban_for_someone_unknown_is_kept_and_applies_when_the_document_is_seen(
    community: Engine,
    hub: tuple[Engine, World],
    engine: Engine,
    world: World,
    client: TestClient,
) -> None:
    _, item = shared_ban(community, hub[1])
    status, _, outcome = receive(engine, item.model_dump_json())
    assert status is ReceiveStatus.APPLIED
    assert "nobody here" in outcome
    with Session(engine) as session:
        kept = session.exec(select(CommunityBan)).one()
        assert kept.identity_ref.startswith("ref:") and DOCUMENT not in kept.identity_ref
        assert session.exec(select(func.count()).select_from(PortBan)).one() == 0
    person = enroll(engine, world, badge="AB0002")
    with Session(engine) as session:
        applied = set_identity_ref(
            session, keys_of(engine), person_id=person, document_number=DOCUMENT, actor="test"
        )
    assert applied == 1
    answer = client.post("/api/v1/decisions", json=query("AB0002"), headers=world.gate_key())
    assert answer.json()["reason"] == "port_ban"


def test_tampered_replayed_and_removed_issuers_items_are_refused_and_counted(
    community: Engine, hub: tuple[Engine, World], engine: Engine, world: World
) -> None:
    person = enroll(engine, world, badge="AB0003")
    with Session(engine) as session:
        set_identity_ref(
            session, keys_of(engine), person_id=person, document_number=DOCUMENT, actor="test"
        )
    _, item = shared_ban(community, hub[1])
    before = counts(engine)
    tampered = item.model_copy(update={"body": {**item.body, "legal_reference": "PA-8"}})
    assert receive(engine, tampered.model_dump_json())[1] is Refusal.BAD_SIGNATURE
    assert receive(engine, item.model_dump_json().replace("TLP:GREEN", "TLP:PINK"))[1] is (
        Refusal.MALFORMED
    )
    later = item.model_copy(update={"sequence": 5})
    assert receive(engine, later.model_dump_json())[1] is Refusal.BAD_SIGNATURE
    assert counts(engine) == before, "a refused item changes nothing"
    with Session(engine) as session:
        refused = {(r.issuer, r.reason): r.count for r in session.exec(select(SharingRefusal))}
    assert refused == {("hub", "bad_signature"): 2, ("", "malformed"): 1}


def test_items_of_a_removed_member_are_refused(
    community: Engine, engine: Engine, term_b: Engine
) -> None:
    with Session(term_b) as session:
        session.add(Company(name="Quay Haulage", status=CompanyStatus.FLAGGED))
        session.commit()
        keys = keys_of(term_b)
        first = share_company_status(
            session, keys, company="Quay Haulage", tlp=Tlp.GREEN, actor="test"
        )
        second = share_company_status(
            session, keys, company="Quay Haulage", tlp=Tlp.GREEN, actor="test"
        )
        session.commit()
    assert receive(engine, first.model_dump_json())[0] is ReceiveStatus.APPLIED
    with Session(engine) as session:
        remove_member(session=session, member_id="term-b", actor="test")
    before = counts(engine)
    assert receive(engine, second.model_dump_json())[1] is Refusal.REMOVED_ISSUER
    assert counts(engine) == before
    with Session(engine) as session:
        refusal = session.get(SharingRefusal, ("term-b", "removed_issuer"))
        assert refusal is not None and refusal.count == 1


def test_an_item_addressed_to_the_hub_only_is_refused_by_another_member(
    community: Engine, engine: Engine, term_b: Engine
) -> None:
    with Session(term_b) as session:
        session.add(Company(name="Quay Haulage", status=CompanyStatus.FLAGGED))
        session.commit()
        item = share_company_status(
            session,
            keys_of(term_b),
            company="Quay Haulage",
            tlp=Tlp.AMBER_STRICT,
            recipients=("hub",),
            actor="test",
        )
        session.commit()
    assert receive(community, item.model_dump_json())[0] is ReceiveStatus.APPLIED
    assert receive(engine, item.model_dump_json())[1] is Refusal.NOT_FOR_US


def test_a_company_status_reaches_the_member_by_name(
    community: Engine, hub: tuple[Engine, World], engine: Engine, world: World
) -> None:
    for installation in (community, engine):
        with Session(installation) as session:
            session.add(Company(name="Quay Haulage"))
            session.commit()
    with Session(community) as session:
        row = find_company(session=session, ref="quay haulage")
        assert row.id is not None
        set_company_status(
            session=session,
            company_id=row.id,
            status=CompanyStatus.SUSPENDED,
            reason="unpaid port dues",
            actor="test",
        )
        item = share_company_status(
            session, keys_of(community), company="Quay Haulage", tlp=Tlp.AMBER, actor="test"
        )
        session.commit()
    status, _, outcome = receive(engine, item.model_dump_json())
    assert status is ReceiveStatus.APPLIED, outcome
    with Session(engine) as session:
        company = session.exec(select(Company)).one()
        assert company.status is CompanyStatus.SUSPENDED
        assert company.status_reason == "unpaid port dues [hub]"
    with Session(community) as session:
        assert [i.sequence for i in pending_items(session)] == [1]
