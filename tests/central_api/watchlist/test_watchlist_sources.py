"""What the watchlist gallery holds: persons of interest, deny-flagged and banned faces."""

import base64
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.config import Settings
from central_api.crud.bans import issue_ban, lift_ban
from central_api.crud.people import add_face_template
from central_api.crud.rules import add_watchlist_entry
from central_api.db import utc_now
from central_api.models import PersonOfInterest, PortBanCreate, Site, WatchlistEntryCreate
from central_api.replica.watchlist import watchlist_entries
from central_api.security.vault import encrypt_template
from gate_protocol.records import WatchlistAction
from gate_protocol.replica import WatchlistSource
from testkit.api.decisions import enroll
from testkit.api.enrollment import random_template
from testkit.api.world import World


def test_the_gallery_holds_current_persons_of_interest_and_deny_flagged_faces(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    key, now = settings.template_key_bytes(), utc_now()
    denied, alerted = enroll(engine, world, badge="4001"), enroll(engine, world, badge="4002")
    with Session(engine, expire_on_commit=False) as session:
        for n, person in enumerate((denied, alerted)):
            add_face_template(
                session=session,
                person_id=person,
                template=random_template(n),
                quality=0.9,
                key=key,
                actor="test",
            )
        for n, (poi_id, start, end) in enumerate(
            (
                ("now", None, now + timedelta(days=1)),
                ("later", now + timedelta(days=1), None),
                ("ended", None, now - timedelta(minutes=1)),
            )
        ):
            nonce, sealed = encrypt_template(
                key=key, person_id=f"poi:{poi_id}", template=random_template(10 + n)
            )
            session.add(
                PersonOfInterest(
                    id=poi_id,
                    label=poi_id,
                    reason="r",
                    entered_by="test",
                    valid_from=start,
                    valid_until=end,
                    nonce=nonce,
                    ciphertext=sealed,
                )
            )
        session.commit()
        before = {s.id: s.replica_version for s in session.exec(select(Site)).all()}
        for person, action in ((denied, WatchlistAction.DENY), (alerted, WatchlistAction.ALERT)):
            add_watchlist_entry(
                session=session,
                entry_create=WatchlistEntryCreate(person_id=person, action=action, reason="x"),
                actor="test",
            )
        after = {s.id: s.replica_version for s in session.exec(select(Site)).all()}
        gallery = watchlist_entries(session, now, key)
    # The deny flag moved every site's replica (the alert flag only its own person's site).
    assert all(after[site] > before[site] for site in (world.site, world.other_site))
    # Gates screen each entry inside its period: one still to come travels with it, an ended
    # one does not travel at all.
    assert [(e.entry_id, e.source) for e in gallery] == [
        ("poi:later", WatchlistSource.PERSON_OF_INTEREST),
        ("poi:now", WatchlistSource.PERSON_OF_INTEREST),
        (f"person:{denied}", WatchlistSource.FLAGGED),
    ]
    assert [e.entry_id for e in gallery if e.in_effect(now)] == ["poi:now", f"person:{denied}"]
    periods = {e.entry_id: (e.valid_from, e.valid_until) for e in gallery}
    assert periods["poi:now"] == (None, now + timedelta(days=1))
    assert periods["poi:later"] == (now + timedelta(days=1), None)
    assert base64.b64decode(gallery[2].encoding_b64) == random_template(0)


def test_a_banned_face_joins_every_gate_s_gallery_and_leaves_it_when_lifted(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    key = settings.template_key_bytes()
    banned = enroll(engine, world, badge="4101")
    faceless = enroll(engine, world, badge="4102")
    with Session(engine, expire_on_commit=False) as session:
        add_face_template(
            session=session,
            person_id=banned,
            template=random_template(7),
            quality=0.9,
            key=key,
            actor="test",
        )
        before = {s.id: s.replica_version for s in session.exec(select(Site)).all()}
        ban = issue_ban(
            session=session,
            body=PortBanCreate(person_id=banned, reason="smuggling", legal_reference="PA-1"),
            username="authority-user",
            four_eyes=False,
        )
        # A ban on someone without a face changes no gallery.
        issue_ban(
            session=session,
            body=PortBanCreate(person_id=faceless, reason="smuggling", legal_reference="PA-2"),
            username="authority-user",
            four_eyes=False,
        )
        after = {s.id: s.replica_version for s in session.exec(select(Site)).all()}
        # A ban with an end carries it to the gallery (the gate screens until then).
        until = utc_now() + timedelta(days=30)
        ending = issue_ban(
            session=session,
            body=PortBanCreate(
                person_id=banned, reason="fraud", legal_reference="PA-3", valid_until=until
            ),
            username="authority-user",
            four_eyes=False,
        )
        gallery = watchlist_entries(session, utc_now(), key)
        lift_ban(session=session, ban_id=ban.id, username="authority-user", reason="court")
        lift_ban(session=session, ban_id=ending.id, username="authority-user", reason="court")
        lifted = watchlist_entries(session, utc_now(), key)
    # Every site's gates screen the banned face, the sites where they never pass included.
    assert all(after[site] > before[site] for site in (world.site, world.other_site))
    assert [(e.entry_id, e.source, e.valid_until) for e in gallery] == [
        (f"ban:{ban.id}", WatchlistSource.BANNED, None),
        (f"ban:{ending.id}", WatchlistSource.BANNED, until),
    ]
    assert base64.b64decode(gallery[0].encoding_b64) == random_template(7)
    assert lifted == []
