"""Face templates in a shared ban: sealed to each recipient, on its gates' watchlist, lifted.

The hub bans a person with a face and shares the ban `with_faces`; terminal A (the
`engine` fixture's database, SQLite and PostgreSQL, with a seeded gate) receives it as the
bus would carry it; terminal B is a member the strictly addressed ban is not for.
"""

import base64
import logging

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from central_api.community.bans import share_ban, share_ban_lift
from central_api.community.envelope import SharedItem, Tlp, sign_item
from central_api.community.faces import SealedFaces, SealedFacesError, open_faces
from central_api.community.feed import feed_page
from central_api.community.members import get_member
from central_api.community.receive import ReceiveStatus, receive_payload
from central_api.community.refs import set_identity_ref
from central_api.community.verify import Refusal
from central_api.crud.bans import issue_ban, lift_ban
from central_api.crud.people import add_face_template
from central_api.errors import InvalidError
from central_api.models import AuditEntry, PersonOfInterest, PortBan, PortBanCreate
from central_api.models.community import ReceivedItem, SharedItemOut, SharingRefusal
from central_api.replica.builder import build_replica
from gate_protocol.replica import WatchlistSource
from testkit.api.decisions import enroll
from testkit.api.enrollment import random_template
from testkit.api.world import World
from testkit.community import SEAL_KEY, keys_of

TEMPLATE = random_template(1901)
IN_CLEAR = (base64.b64encode(TEMPLATE).decode(), TEMPLATE.hex())


def banned_with_face(hub: Engine, world: World, *, face: bool = True, n: int = 1) -> str:
    """A hub person with an identity reference (and a face), banned; the ban's id."""
    person = enroll(hub, world, badge=f"FB000{n}")
    with Session(hub) as session:
        set_identity_ref(
            session, keys_of(hub), person_id=person, document_number=f"NL-F000{n}", actor="test"
        )
        if face:
            add_face_template(
                session=session,
                person_id=person,
                template=TEMPLATE,
                quality=0.9,
                key=SEAL_KEY,
                actor="test",
            )
        ban = issue_ban(
            session=session,
            body=PortBanCreate(person_id=person, reason="cargo theft", legal_reference="PA-19"),
            username="pa-officer",
            four_eyes=False,
        )
        return ban.id


def share(hub: Engine, ban_id: str, tlp: Tlp, to: tuple[str, ...] = ()) -> SharedItem:
    with Session(hub) as session:
        item = share_ban(
            session, keys_of(hub), ban_id=ban_id, tlp=tlp, recipients=to, actor="t", with_faces=True
        )
        session.commit()
        return item


def receive(engine: Engine, payload: str) -> tuple[ReceiveStatus, Refusal | None]:
    with Session(engine) as session:
        got = receive_payload(session, payload, keys=keys_of(engine))
    return got.status, got.refusal


def gate_watchlist(engine: Engine, world: World) -> dict[str, tuple[WatchlistSource, str]]:
    """The watchlist gallery of the world's gate, as its replica snapshot carries it."""
    with Session(engine) as session:
        snapshot = build_replica(
            session=session, gate_id=world.gate, since=None, template_key=SEAL_KEY, pass_keys={}
        )
    return {r.entry_id: (r.source, r.encoding_b64) for r in getattr(snapshot, "watchlist", ())}


def persons_of_interest(engine: Engine) -> list[PersonOfInterest]:
    with Session(engine) as session:
        return list(session.exec(select(PersonOfInterest)))


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry.action).order_by(col(AuditEntry.seq))))


def test_a_recipient_opens_the_faces_its_gate_watches_them_and_the_lift_takes_them_off(
    community: Engine,
    hub: tuple[Engine, World],
    engine: Engine,
    world: World,
    term_b: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ban_id = banned_with_face(community, hub[1])
    item = share(community, ban_id, Tlp.AMBER_STRICT, ("term-a",))
    payload = item.model_dump_json()
    assert [entry["member"] for entry in item.body["faces"]] == ["term-a"], "only the addressed"
    assert not any(text in payload for text in IN_CLEAR), "the template never in the clear"

    assert receive(engine, payload) == (ReceiveStatus.APPLIED, None)
    [poi] = persons_of_interest(engine)
    assert (poi.entered_by, poi.label) == ("community:hub", f"ban {ban_id}")
    assert f"PA-19 [hub/{ban_id}]" in poi.reason, "marked with issuer and reference"
    gallery = gate_watchlist(engine, world)
    assert gallery[poi.entry_id] == (WatchlistSource.PERSON_OF_INTEREST, IN_CLEAR[0])
    assert "watchlist.poi_add" in audit_actions(engine)
    assert "community.share_faces" in audit_actions(community)

    # Terminal B is not addressed: refused, and term-a's box does not open with B's key.
    assert receive(term_b, payload)[1] is Refusal.NOT_FOR_US
    assert persons_of_interest(term_b) == []
    a_box = SealedFaces.model_validate(item.body["faces"][0])
    stolen = SealedFaces(member="term-b", sealed=a_box.sealed)
    with pytest.raises(SealedFacesError):
        open_faces([stolen], member_id="term-b", signing_key=keys_of(term_b).signing_key)

    # The hub's feed serves the item as it was shared: sealed boxes only.
    with Session(community) as session:
        asker = get_member(session=session, member_id="term-a")
        page = feed_page(session, keys_of(community), asker=asker, issuer="hub", after=0)
    assert not any(text in page.items[0].model_dump_json() for text in IN_CLEAR)

    with Session(community) as session:
        lift_ban(session=session, ban_id=ban_id, username="pa-officer", reason="appeal")
        lift = share_ban_lift(
            session,
            keys_of(community),
            ban_id=ban_id,
            tlp=Tlp.AMBER_STRICT,
            recipients=("term-a",),
            actor="t",
        )
        session.commit()
    assert receive(engine, lift.model_dump_json()) == (ReceiveStatus.APPLIED, None)
    assert persons_of_interest(engine) == []
    assert poi.entry_id not in gate_watchlist(engine, world)
    assert "watchlist.poi_remove" in audit_actions(engine)
    assert not any(text in caplog.text for text in IN_CLEAR), "no template in any log line"


def test_a_green_ban_seals_to_every_other_member_and_each_opens_its_own(
    community: Engine, hub: tuple[Engine, World], engine: Engine, term_b: Engine
) -> None:
    item = share(community, banned_with_face(community, hub[1]), Tlp.GREEN)
    faces = [SealedFaces.model_validate(entry) for entry in item.body["faces"]]
    assert [entry.member for entry in faces] == ["term-a", "term-b"]
    for member, site in (("term-a", engine), ("term-b", term_b)):
        assert open_faces(faces, member_id=member, signing_key=keys_of(site).signing_key) == [
            TEMPLATE
        ]
        assert receive(site, item.model_dump_json()) == (ReceiveStatus.APPLIED, None)
        assert len(persons_of_interest(site)) == 1


def test_a_tampered_box_is_refused_counted_and_changes_nothing(
    community: Engine, hub: tuple[Engine, World], engine: Engine
) -> None:
    item = share(community, banned_with_face(community, hub[1]), Tlp.GREEN)
    faces = item.body["faces"]
    box = bytearray(base64.b64decode(faces[0]["sealed"][0]))
    box[40] ^= 0x01
    broken = [{**faces[0], "sealed": [base64.b64encode(bytes(box)).decode()]}, *faces[1:]]
    tampered = item.model_copy(update={"body": {**item.body, "faces": broken}})

    # Changed on the way: the signature no longer holds.
    assert receive(engine, tampered.model_dump_json()) == (
        ReceiveStatus.REFUSED,
        Refusal.BAD_SIGNATURE,
    )
    # Signed so by the issuer itself: the box does not open; kept, not applied, counted.
    resigned = sign_item(
        tampered.model_copy(update={"signature": ""}), keys_of(community).signing_key
    )
    assert receive(engine, resigned.model_dump_json()) == (
        ReceiveStatus.KEPT,
        Refusal.BAD_CIPHERTEXT,
    )
    with Session(engine) as session:
        counted = {(r.issuer, r.reason): r.count for r in session.exec(select(SharingRefusal))}
        [kept] = session.exec(select(ReceivedItem)).all()
        bans = session.exec(select(func.count()).select_from(PortBan)).one()
    assert counted == {("hub", "bad_signature"): 1, ("hub", "bad_ciphertext"): 1}
    assert (kept.applied, bans, persons_of_interest(engine)) == (False, 0, [])
    assert "does not open" in kept.outcome


def test_without_the_flag_no_template_leaves_and_a_faceless_person_is_refused(
    community: Engine, hub: tuple[Engine, World], engine: Engine
) -> None:
    ban_id = banned_with_face(community, hub[1])
    with Session(community) as session:
        item = share_ban(session, keys_of(community), ban_id=ban_id, tlp=Tlp.GREEN, actor="t")
        session.commit()
    assert "faces" not in item.body
    assert receive(engine, item.model_dump_json()) == (ReceiveStatus.APPLIED, None)
    assert persons_of_interest(engine) == []

    faceless = banned_with_face(community, hub[1], face=False, n=2)
    with Session(community) as session:
        before = session.exec(select(func.count()).select_from(SharedItemOut)).one()
        with pytest.raises(InvalidError, match="no face template"):
            share_ban(
                session,
                keys_of(community),
                ban_id=faceless,
                tlp=Tlp.GREEN,
                actor="t",
                with_faces=True,
            )
    with Session(community) as session:
        assert session.exec(select(func.count()).select_from(SharedItemOut)).one() == before
