"""Seed the demo database: a site, two gates, users, a company, people, badges and a truck pass.

Everything goes through the central API's crud and enrollment functions (audited, replica
versions bumped), straight on the engine before the API starts.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from biometrics import ENROLLMENT_PIPELINE, load_image, template_to_bytes
from central_api.audit.chain import ensure_audit_head
from central_api.config import Settings
from central_api.crud.companies import set_company_status
from central_api.crud.people import (
    add_competency,
    add_credential,
    add_face_template,
    add_to_group,
    create_person,
    update_person,
)
from central_api.crud.rules import create_access_group
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.crud.users import create_user
from central_api.db import utc_now
from central_api.enroll.passes import issue_pass, load_signer
from central_api.enroll.schemas import PassIn
from central_api.models import (
    AccessGroupCreate,
    Company,
    CredentialCreate,
    GateCreate,
    PersonCompetencyCreate,
    PersonCreate,
    PersonUpdate,
    Role,
    SiteCreate,
    ZoneCreate,
)
from central_api.security.command_keys import public_command_keys, replica_command_key
from gate_protocol.messages import BadgeFormat, CredentialKind
from gate_protocol.records import CompanyStatus, PersonKind, PersonStatus
from portgate.demo.people import DemoPerson
from portgate.demo.terminal import SHARED_ROLE, TerminalSeed, seed_terminal

__all__ = [
    "SITE",
    "STAFF_GATE",
    "SUSPENDED_DRIVER_BADGE",
    "TRUCK_GATE",
    "DemoSeed",
    "seed_demo",
]

_log = logging.getLogger(__name__)
SITE = "demo-port"
STAFF_GATE = "staff-1"
TRUCK_GATE = "truck-1"
_ACTOR = "demo:seed"
_COMPETENCY = "isps"
# A driver of a suspended transport company (badge only: the truck lane asks no face).
SUSPENDED_DRIVER_BADGE = 40_099


@dataclass
class DemoSeed:
    """What the seeding created that the rest of the demo needs."""

    gate_keys: dict[str, str] = field(default_factory=dict, repr=False)
    # Per gate, the public command keys its bridge checks OpenCommands with.
    command_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    logins: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    person_ids: dict[str, str] = field(default_factory=dict)
    pass_token: str = field(default="", repr=False)
    faces: bool = False
    # The second terminal, which shares the SHARED_ROLE person's identity (None: no such person).
    terminal: TerminalSeed | None = None


def _template(person: DemoPerson) -> bytes | None:
    if person.enroll_photo is None:
        return None
    encoding = ENROLLMENT_PIPELINE.encode_image(load_image(person.enroll_photo))
    if encoding is None:
        _log.warning("no face found in %s; %s gets no template", person.enroll_photo, person.name)
        return None
    return template_to_bytes(encoding.encoding)


def _site(session: Session, *, faces: bool) -> dict[str, str]:
    create_site(session=session, site_create=SiteCreate(id=SITE, name="Demo port"), actor=_ACTOR)
    create_zone(
        session=session,
        zone_create=ZoneCreate(
            id="quay", site_id=SITE, name="Container quay", required_competencies=[_COMPETENCY]
        ),
        actor=_ACTOR,
    )
    create_zone(
        session=session,
        zone_create=ZoneCreate(id="truck-yard", site_id=SITE, name="Truck yard"),
        actor=_ACTOR,
    )
    keys = {}
    for gate in (
        GateCreate(
            id=STAFF_GATE,
            site_id=SITE,
            zone_id="quay",
            name="Staff turnstile",
            direction="entry",
            face_required=faces,
            # The demo camera shows synthesised live sessions of the shipped photos (and a
            # print for the attack scenario): liveness is checked as at a real gate.
            liveness_required=faces,
        ),
        GateCreate(
            id=TRUCK_GATE,
            site_id=SITE,
            zone_id="truck-yard",
            name="Truck lane",
            direction="entry",
            face_required=False,
            liveness_required=False,
        ),
    ):
        _, keys[gate.id] = create_gate(session=session, gate_create=gate, actor=_ACTOR)
    return keys


def _users(session: Session) -> dict[str, tuple[str, str]]:
    logins = {}
    for username, role in (("admin", Role.ADMIN), ("operator", Role.OPERATOR)):
        password = secrets.token_urlsafe(12)
        create_user(
            session=session,
            username=username,
            password=password,
            role=role,
            site_id=None if role is Role.ADMIN else SITE,
            actor=_ACTOR,
        )
        logins[role.value] = (username, password)
    password = secrets.token_urlsafe(12)
    create_user(
        session=session,
        username="desk",
        password=password,
        role=Role.SECURITY_DESK,
        site_id=SITE,
        actor=_ACTOR,
    )
    logins[Role.SECURITY_DESK.value] = ("desk", password)
    password = secrets.token_urlsafe(12)
    # Port-wide, no site: issues the port ban of the demo script (portgate/demo/authority.py).
    create_user(
        session=session,
        username="authority",
        password=password,
        role=Role.AUTHORITY,
        actor=_ACTOR,
    )
    logins[Role.AUTHORITY.value] = ("authority", password)
    return logins


def _person(
    session: Session,
    *,
    person: DemoPerson,
    company_id: int | None,
    groups: list[int],
    key: bytes,
) -> str:
    now = utc_now()
    kind = PersonKind.DRIVER if person.role == "driver" else PersonKind.STAFF
    row = create_person(
        session=session,
        person_create=PersonCreate(
            display_name=person.name, kind=kind, company_id=company_id, site_id=SITE
        ),
        actor=_ACTOR,
    )
    for group in groups:
        add_to_group(session=session, person_id=row.id, group_id=group, actor=_ACTOR)
    add_credential(
        session=session,
        person_id=row.id,
        credential_create=CredentialCreate(
            kind=CredentialKind.BADGE, ref=str(person.badge), badge_format=BadgeFormat.WIEGAND26
        ),
        actor=_ACTOR,
    )
    expired = person.role == "expired_competency"
    add_competency(
        session=session,
        person_id=row.id,
        competency=PersonCompetencyCreate(
            name=_COMPETENCY,
            valid_until=now - timedelta(days=3) if expired else now + timedelta(days=365),
        ),
        actor=_ACTOR,
    )
    template = _template(person)
    if template is not None:
        add_face_template(
            session=session,
            person_id=row.id,
            template=template,
            quality=None,
            key=key,
            actor=_ACTOR,
        )
    if person.role == "revoked":
        update_person(
            session=session,
            person_id=row.id,
            person_update=PersonUpdate(status=PersonStatus.REVOKED),
            actor=_ACTOR,
        )
    return row.id


def seed_demo(*, engine: Engine, settings: Settings, people: list[DemoPerson]) -> DemoSeed:
    """Fill a migrated, empty database with the demo site (see the module docstring)."""
    ensure_audit_head(engine=engine)
    seed = DemoSeed(faces=any(p.enroll_photo is not None for p in people))
    key = settings.template_key_bytes()
    with Session(engine, expire_on_commit=False) as session:
        seed.gate_keys = _site(session, faces=seed.faces)
        for gate_id in seed.gate_keys:
            replica_command_key(session=session, gate_id=gate_id, seal_key=key, actor=_ACTOR)
            seed.command_keys[gate_id] = public_command_keys(session=session, gate_id=gate_id)
        session.commit()
        seed.logins = _users(session)
        company = Company(name="North Sea Stevedoring")
        session.add(company)
        session.commit()
        quay = create_access_group(
            session=session,
            group_create=AccessGroupCreate(name="quay staff", site_id=SITE, zone_ids=["quay"]),
            actor=_ACTOR,
        )
        yard = create_access_group(
            session=session,
            group_create=AccessGroupCreate(
                name="truck yard", site_id=SITE, zone_ids=["truck-yard"]
            ),
            actor=_ACTOR,
        )
        assert quay.id is not None and yard.id is not None  # noqa: S101 (committed rows)
        for person in people:
            groups = [yard.id] if person.role == "driver" else [quay.id]
            seed.person_ids[person.role] = _person(
                session, person=person, company_id=company.id, groups=groups, key=key
            )
        now = utc_now()
        issued = issue_pass(
            session=session,
            person_id=seed.person_ids["driver"],
            pass_in=PassIn(
                gates=[TRUCK_GATE],
                window_start=now - timedelta(minutes=10),
                window_end=now + timedelta(hours=8),
                plate="RT 482 X",
                container_ref="MSKU1234565",
                one_time=True,
            ),
            actor=_ACTOR,
            signer=load_signer(settings),
        )
        seed.pass_token = issued.token
        seed.person_ids["suspended_driver"] = _suspended_company_driver(session, yard_group=yard.id)
        if SHARED_ROLE in seed.person_ids:
            seed.terminal = seed_terminal(
                session=session, person_id=seed.person_ids[SHARED_ROLE], seal_key=key
            )
    return seed


def _suspended_company_driver(session: Session, *, yard_group: int) -> str:
    """A driver of a transport company the port authority has suspended: refused everywhere."""
    company = Company(name="Blackwater Haulage")
    session.add(company)
    session.commit()
    assert company.id is not None  # noqa: S101 (committed row)
    driver = create_person(
        session=session,
        person_create=PersonCreate(
            display_name="Sam Kuiper", kind=PersonKind.DRIVER, company_id=company.id, site_id=SITE
        ),
        actor=_ACTOR,
    )
    add_to_group(session=session, person_id=driver.id, group_id=yard_group, actor=_ACTOR)
    add_credential(
        session=session,
        person_id=driver.id,
        credential_create=CredentialCreate(
            kind=CredentialKind.BADGE,
            ref=str(SUSPENDED_DRIVER_BADGE),
            badge_format=BadgeFormat.WIEGAND26,
        ),
        actor=_ACTOR,
    )
    set_company_status(
        session=session,
        company_id=company.id,
        status=CompanyStatus.SUSPENDED,
        reason="operating licence withdrawn by the port authority",
        actor=_ACTOR,
    )
    return driver.id
