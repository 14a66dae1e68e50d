"""Seed one installation of the demo community: its site, a gate, users and a shared person.

Each installation is a terminal (or the port authority's hub) of its own: a site with a
quay, one staff gate (badge only), an admin and an operator with random passwords (the hub
gets an authority officer instead of the operator), and the same person under the same
identity document, enrolled separately at each (their badge differs per installation).
Everything goes through the central API's crud functions (audited) before the API starts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.community.members import CommunityKeys
from central_api.community.refs import set_identity_ref
from central_api.crud.people import add_credential, add_to_group, create_person
from central_api.crud.rules import create_access_group
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.crud.users import create_user
from central_api.models import (
    AccessGroupCreate,
    CredentialCreate,
    GateCreate,
    PersonCreate,
    Role,
    SiteCreate,
    ZoneCreate,
)
from gate_protocol.messages import BadgeFormat, CredentialKind
from gate_protocol.records import PersonKind

__all__ = ["DOCUMENT", "InstallationSeed", "add_document", "seed_installation"]

# The identity document the story's driver shows at every installation's desk.
DOCUMENT = "NL-DEMO0000001"
_ACTOR = "demo:seed"


@dataclass
class InstallationSeed:
    """What the seeding created that the story and the announcement need."""

    site: str
    gate: str
    badge: str
    person_id: str
    gate_key: str = field(repr=False)
    logins: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)


def _site_and_gate(session: Session, member_id: str) -> tuple[str, str, str, str]:
    site, zone, gate = f"{member_id}-port", f"{member_id}-quay", f"{member_id}-gate-1"
    create_site(session=session, site_create=SiteCreate(id=site, name=site), actor=_ACTOR)
    create_zone(
        session=session, zone_create=ZoneCreate(id=zone, site_id=site, name=zone), actor=_ACTOR
    )
    _, key = create_gate(
        session=session,
        gate_create=GateCreate(
            id=gate,
            site_id=site,
            zone_id=zone,
            name=f"{member_id} staff turnstile",
            face_required=False,
            liveness_required=False,
        ),
        actor=_ACTOR,
    )
    return site, zone, gate, key


def _person(session: Session, *, site: str, zone: str, badge: str) -> str:
    person = create_person(
        session=session,
        person_create=PersonCreate(display_name="Demo Driver", kind=PersonKind.STAFF, site_id=site),
        actor=_ACTOR,
    )
    group = create_access_group(
        session=session,
        group_create=AccessGroupCreate(name="quay", site_id=site, zone_ids=[zone]),
        actor=_ACTOR,
    )
    assert group.id is not None  # noqa: S101 (stored)
    add_to_group(session=session, person_id=person.id, group_id=group.id, actor=_ACTOR)
    add_credential(
        session=session,
        person_id=person.id,
        credential_create=CredentialCreate(
            kind=CredentialKind.BADGE, ref=badge, badge_format=BadgeFormat.WIEGAND26
        ),
        actor=_ACTOR,
    )
    return person.id


def _users(session: Session, *, member_id: str, site: str) -> dict[str, tuple[str, str]]:
    second = (Role.AUTHORITY, None) if member_id == "hub" else (Role.OPERATOR, site)
    logins = {}
    for role, site_id in ((Role.ADMIN, None), second):
        username, password = role.value, secrets.token_urlsafe(12)
        create_user(
            session=session,
            username=username,
            password=password,
            role=role,
            actor=_ACTOR,
            site_id=site_id,
        )
        logins[role.value] = (username, password)
    return logins


def seed_installation(engine: Engine, *, member_id: str, badge: str) -> InstallationSeed:
    """Seed a fresh, migrated database as installation `member_id`."""
    with Session(engine) as session:
        site, zone, gate, key = _site_and_gate(session, member_id)
        person_id = _person(session, site=site, zone=zone, badge=badge)
        logins = _users(session, member_id=member_id, site=site)
    return InstallationSeed(
        site=site, gate=gate, badge=badge, person_id=person_id, gate_key=key, logins=logins
    )


def add_document(engine: Engine, keys: CommunityKeys, seed: InstallationSeed) -> None:
    """Record the person's identity reference (once the installation is in the community)."""
    with Session(engine) as session:
        set_identity_ref(
            session, keys, person_id=seed.person_id, document_number=DOCUMENT, actor=_ACTOR
        )
