"""Three installations on one machine share bans and company status over bridged brokers.

The hub (port authority: SQLite), terminal A (PostgreSQL) and terminal B (SQLite), each
its own `portgate api`, database and mosquitto; the terminals' brokers bridge to the
hub's over TLS with the files `portgate community broker-config` writes. Shown here:
a ban issued at the hub denies at both terminals' gates and its lift grants again; a
TLP:AMBER+STRICT incident report from A reaches the hub (its API shows it, its audit
records receiving, applying and showing it) and not B; a tampered item and an
item of a removed member are refused and counted; with the hub's broker killed for a
while, items queue and arrive after, none lost and none applied twice; the hub's register
shows each member and the last of the hub's items delivered to it.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.publish as mqtt_publish
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.community.bans import share_ban, share_ban_lift
from central_api.community.companies import share_company_status
from central_api.community.envelope import ItemKind, SharedItem, Tlp, sign_item
from central_api.community.members import add_member, remove_member
from central_api.community.outgoing import share
from central_api.community.refs import set_identity_ref
from central_api.crud.bans import issue_ban, lift_ban
from central_api.db import utc_now
from central_api.incidents.tables import Incident
from central_api.models import AuditEntry, Company, PortBan, PortBanCreate, Role
from central_api.models.community import ReceivedItem, SharedItemOut, SharingRefusal
from gate_protocol.passes.keys import encode_public_key
from gate_protocol.topics import community_item_topic
from testkit.api.decisions import enroll
from testkit.api.world import PASSWORD
from testkit.community import keys_of
from testkit.community_net import COMMUNITY, CommunityNet, Installation
from testkit.mosquitto import MosquittoFactory
from testkit.polling import wait_until
from testkit.postgres import postgres_available, start_postgres, stop_postgres

DOC_1, DOC_2 = "NL-BAN0000001", "NL-BAN0000002"
STRANGER_KEY = Ed25519PrivateKey.generate()


@pytest.fixture
def net(tmp_path: Path, mosquitto_factory: MosquittoFactory) -> Iterator[CommunityNet]:
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries not found")
    server = start_postgres()
    try:
        urls = {
            "hub": f"sqlite:///{tmp_path / 'hub.db'}",
            "term-a": server.create_database("community_term_a"),
            "term-b": f"sqlite:///{tmp_path / 'term-b.db'}",
        }
        with CommunityNet(tmp_path, mosquitto_factory, urls) as community:
            yield community
    finally:
        stop_postgres(server)


def person_with_document(site: Installation, badge: str, number: str) -> str:
    person = enroll(site.engine, site.world, badge=badge)
    with Session(site.engine) as session:
        set_identity_ref(
            session, keys_of(site.engine), person_id=person, document_number=number, actor="test"
        )
    return person


def hub_bans(hub: Installation, number: str, badge: str) -> str:
    person = person_with_document(hub, badge, number)
    with Session(hub.engine) as session:
        ban = issue_ban(
            session=session,
            username="pa-officer",
            four_eyes=False,
            body=PortBanCreate(person_id=person, reason="cargo theft", legal_reference="PA-9"),
        )
        share_ban(session, keys_of(hub.engine), ban_id=ban.id, tlp=Tlp.GREEN, actor="test")
        session.commit()
        return ban.id


def reason_at(site: Installation, badge: str) -> object:
    return site.decide(badge).get("reason")


def count_bans(site: Installation, person: str) -> int:
    with Session(site.engine) as session:
        return session.exec(
            select(func.count()).select_from(PortBan).where(PortBan.person_id == person)
        ).one()


def refused(site: Installation) -> dict[tuple[str, str], int]:
    with Session(site.engine) as session:
        return {(r.issuer, r.reason): r.count for r in session.exec(select(SharingRefusal))}


def received_from(site: Installation, issuer: str) -> list[int]:
    with Session(site.engine) as session:
        rows = session.exec(select(ReceivedItem).where(ReceivedItem.issuer == issuer)).all()
        return sorted(row.sequence for row in rows if row.item_json)


def test_three_installations_share_bans_incidents_and_company_status(net: CommunityNet) -> None:
    a, b = net.installations["term-a"], net.installations["term-b"]
    people = {site.member_id: person_with_document(site, "AA0001", DOC_1) for site in (a, b)}
    assert {reason_at(site, "AA0001") for site in (a, b)} == {"granted"}

    # 1. A ban issued at the hub denies at both terminals' gates; its lift grants again.
    started = time.monotonic()
    ban_id = hub_bans(net.hub, DOC_1, "BB0001")
    for site in (a, b):
        wait_until(lambda s=site: reason_at(s, "AA0001") == "port_ban", timeout=15)
    assert time.monotonic() - started < 15
    detail = a.decide("AA0001")["detail"]
    assert detail == f"PA-9 [hub/{ban_id}]", "the issuer and its reference are shown"
    with Session(net.hub.engine) as session:
        lift_ban(session=session, ban_id=ban_id, username="pa-officer", reason="appeal")
        share_ban_lift(session, keys_of(net.hub.engine), ban_id=ban_id, tlp=Tlp.GREEN, actor="test")
        session.commit()
    for site in (a, b):
        wait_until(lambda s=site: s.decide("AA0001")["decision"] == "granted", timeout=15)

    # 2. A TLP:AMBER+STRICT incident report from A, shared by A's operator through A's API,
    # travels A's broker -> bridge -> the hub's broker: the hub stores it, shows it to its
    # authority and audits both; B never gets it (checked once more after step 4).
    for site in (net.hub, a, b):
        with Session(site.engine) as session:
            session.add(Company(name="Quay Haulage"))
            session.commit()
    operator = login(a, Role.OPERATOR)
    report = call(
        a,
        "POST",
        "/api/v1/incidents?file=true",
        operator,
        {
            "kind": "tailgating",
            "occurred_at": utc_now().isoformat(),
            "site_id": a.world.site,
            "narrative": "Two people through the turnstile on one badge.",
            "tlp": "TLP:AMBER+STRICT",
        },
    )
    strict = SharedItem.model_validate(
        call(a, "POST", f"/api/v1/community/share/incident/{report['id']}", operator, {})
    )
    assert (strict.kind, strict.tlp, strict.recipients) == ("incident", Tlp.AMBER_STRICT, ("hub",))
    officer = login(net.hub, Role.AUTHORITY)

    def hub_reports() -> list[dict[str, object]]:
        shown = call(net.hub, "GET", "/api/v1/incidents", officer)
        assert isinstance(shown, list)
        return [r for r in shown if r["issuer"] == "term-a"]

    wait_until(lambda: len(hub_reports()) == 1, timeout=15)
    [shown] = hub_reports()
    assert (shown["kind"], shown["tlp"], shown["site_id"]) == (
        "tailgating",
        "TLP:AMBER+STRICT",
        None,
    )
    target = f"shared_item:term-a:{strict.sequence}"
    assert audit_actions(net.hub, target) == ["community.receive", "community.apply"]
    assert "incident.receive" in audit_actions(net.hub, f"incident:{shown['id']}")
    assert "incident.show" in audit_actions(net.hub, f"incident:{shown['id']}")
    assert audit_actions(a, f"shared_item:term-a:{strict.sequence}") == ["community.share"]

    # 3. A tampered item and one of a removed member are refused at B and counted.
    stranger = encode_public_key(STRANGER_KEY.public_key())
    with Session(net.hub.engine) as session:
        add_member(
            session=session, member_id="term-x", name="X", public_key_b64=stranger, actor="test"
        )
        share(
            session,
            keys_of(net.hub.engine),
            kind=ItemKind.MEMBER_ADDED,
            body={"member_id": "term-x", "name": "X", "public_key": stranger},
            tlp=Tlp.GREEN,
            actor="test",
        )
        session.commit()
    wait_until(lambda: 5 in received_from(b, "hub"), timeout=15)
    with Session(net.hub.engine) as session:
        remove_member(session=session, member_id="term-x", actor="test")
        share(
            session,
            keys_of(net.hub.engine),
            kind=ItemKind.MEMBER_REMOVED,
            body={"member_id": "term-x"},
            tlp=Tlp.GREEN,
            actor="test",
        )
        session.commit()
    wait_until(lambda: 6 in received_from(b, "hub"), timeout=15)
    from_removed = sign_item(
        SharedItem(
            community_id=COMMUNITY,
            issuer="term-x",
            sequence=1,
            kind=ItemKind.BAN,
            tlp=Tlp.GREEN,
            issued_at=utc_now(),
            body={},
        ),
        STRANGER_KEY,
    )
    assert b.broker is not None
    topic = community_item_topic(COMMUNITY, "hub", "ban")
    hub_item = SharedItem.model_validate_json(_own_item(net.hub, 1))
    tampered = hub_item.model_copy(update={"sequence": 7})
    for item, issuer in ((from_removed, "term-x"), (tampered, "hub")):
        mqtt_publish.single(
            community_item_topic(COMMUNITY, issuer, "ban") if issuer != "hub" else topic,
            item.model_dump_json(),
            qos=1,
            hostname="127.0.0.1",
            port=b.broker.port,
        )
    wait_until(lambda: len(refused(b)) >= 2, timeout=15)
    assert refused(b) == {("term-x", "removed_issuer"): 1, ("hub", "bad_signature"): 1}
    assert strict.sequence not in received_from(b, "term-a"), "AMBER+STRICT stayed off B"

    # 4. The hub's broker killed: items queue and arrive after, none lost, none twice.
    # (The terminals' paho clients log the dropped connection; that is expected.)
    assert net.hub.broker is not None
    net.hub.broker.kill()
    ban_2 = hub_bans(net.hub, DOC_2, "BB0002")
    people_2 = {site.member_id: person_with_document(site, "AA0002", DOC_2) for site in (a, b)}
    with Session(a.engine) as session:
        after_outage = share_company_status(
            session, keys_of(a.engine), company="Quay Haulage", tlp=Tlp.GREEN, actor="test"
        )
        session.commit()
    time.sleep(2)
    # The hub's own items still reach the terminals through its feed; A's item to B waits
    # in A's bridge, since the hub never got it.
    assert after_outage.sequence not in received_from(b, "term-a")
    net.hub.broker.start()
    for site in (a, b):
        wait_until(lambda s=site: reason_at(s, "AA0002") == "port_ban", timeout=30)
    wait_until(lambda: after_outage.sequence in received_from(b, "term-a"), timeout=30)
    wait_until(lambda: after_outage.sequence in received_from(net.hub, "term-a"), timeout=30)
    time.sleep(2)  # let any redelivery arrive: it must change nothing
    for site in (a, b):
        assert count_bans(site, people_2[site.member_id]) == 1, "applied once"
        assert count_bans(site, people[site.member_id]) == 1
    assert received_from(b, "term-a") == [after_outage.sequence], "the strict item withheld"
    assert ban_2.startswith("ban-")
    assert json.loads(_own_item(a, after_outage.sequence))["tlp"] == "TLP:GREEN"
    with Session(b.engine) as session:
        assert session.exec(select(Incident)).all() == [], "the strict report never at B"

    # 5. The hub's register: every member and the last of the hub's items it was delivered.
    admin = login(net.hub, Role.ADMIN)
    with Session(net.hub.engine) as session:
        hub_last = session.exec(select(func.max(SharedItemOut.sequence))).one()
    assert hub_last is not None and hub_last >= 5, "two bans, a lift, term-x added and removed"

    def register() -> dict[str, object]:
        members = call(net.hub, "GET", "/api/v1/community/status", admin)["members"]
        return {m: (v["status"], v["last_delivered_seq"]) for m, v in members.items()}

    wait_until(lambda: register()["term-b"] == ("active", hub_last), timeout=15)
    wait_until(lambda: register()["term-a"] == ("active", hub_last), timeout=15)
    assert register()["term-x"][0] == "removed"


def login(site: Installation, role: Role) -> dict[str, str]:
    assert site.api is not None
    answer = httpx.post(
        f"{site.api.url}/api/v1/auth/token",
        data={"username": f"{role.value}-user", "password": PASSWORD},
        timeout=10,
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def call(
    site: Installation,
    method: str,
    path: str,
    headers: dict[str, str],
    body: dict[str, object] | None = None,
) -> Any:
    assert site.api is not None
    answer = httpx.request(method, f"{site.api.url}{path}", json=body, headers=headers, timeout=10)
    assert answer.is_success, answer.text
    return answer.json()


def audit_actions(site: Installation, target: str) -> list[str]:
    with Session(site.engine) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.target == target).order_by(col(AuditEntry.seq))
        ).all()
        return [row.action for row in rows]


def _own_item(site: Installation, sequence: int) -> str:
    with Session(site.engine) as session:
        row = session.get(SharedItemOut, sequence)
        assert row is not None
        return row.item_json
