"""Seed a site of N badge-only gates and M badge holders (fault runs, soak, benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.audit.chain import ensure_audit_head
from central_api.crud.people import add_competency, add_credential, add_to_group, create_person
from central_api.crud.rules import create_access_group
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.db import utc_now
from central_api.models import (
    AccessGroupCreate,
    CredentialCreate,
    GateCreate,
    PersonCompetencyCreate,
    PersonCreate,
    SiteCreate,
    ZoneCreate,
)
from central_api.security.command_keys import public_command_keys, replica_command_key
from gate_protocol.messages import BadgeFormat, CredentialKind
from gate_protocol.records import PersonKind

__all__ = ["FleetSeed", "seed_fleet"]

_ACTOR = "fleet:seed"
FIRST_BADGE = 10_001
UNKNOWN_BADGE = 65_001


@dataclass
class FleetSeed:
    """The gates (id -> API key) and the badge numbers of the people seeded."""

    site: str
    gate_keys: dict[str, str] = field(default_factory=dict, repr=False)
    command_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    badges: list[int] = field(default_factory=list)
    unknown_badge: int = UNKNOWN_BADGE


def seed_fleet(*, engine: Engine, site: str, gates: int, people: int, seal_key: bytes) -> FleetSeed:
    """Create `site` with gates ``g01..`` (badge only, replica offline policy) and people.

    Args:
        engine: A migrated, empty database.
        site: Site id.
        gates: How many gates.
        people: How many badge holders (all allowed at every gate).
        seal_key: The API's template key, which seals the gates' command keys.
    """
    ensure_audit_head(engine=engine)
    seed = FleetSeed(site=site)
    with Session(engine, expire_on_commit=False) as session:
        create_site(session=session, site_create=SiteCreate(id=site, name=site), actor=_ACTOR)
        create_zone(
            session=session,
            zone_create=ZoneCreate(id=f"{site}-zone", site_id=site, name="quay"),
            actor=_ACTOR,
        )
        for number in range(1, gates + 1):
            gate_id = f"g{number:02d}"
            _, seed.gate_keys[gate_id] = create_gate(
                session=session,
                gate_create=GateCreate(
                    id=gate_id,
                    site_id=site,
                    zone_id=f"{site}-zone",
                    face_required=False,
                    liveness_required=False,
                ),
                actor=_ACTOR,
            )
            replica_command_key(session=session, gate_id=gate_id, seal_key=seal_key, actor=_ACTOR)
            seed.command_keys[gate_id] = public_command_keys(session=session, gate_id=gate_id)
        session.commit()
        group = create_access_group(
            session=session,
            group_create=AccessGroupCreate(name="all", site_id=site, zone_ids=[f"{site}-zone"]),
            actor=_ACTOR,
        )
        assert group.id is not None  # noqa: S101 (committed)
        for number in range(people):
            person = create_person(
                session=session,
                person_create=PersonCreate(
                    display_name=f"Worker {number + 1}", kind=PersonKind.STAFF, site_id=site
                ),
                actor=_ACTOR,
            )
            add_to_group(session=session, person_id=person.id, group_id=group.id, actor=_ACTOR)
            badge = FIRST_BADGE + number
            add_credential(
                session=session,
                person_id=person.id,
                credential_create=CredentialCreate(
                    kind=CredentialKind.BADGE, ref=str(badge), badge_format=BadgeFormat.WIEGAND26
                ),
                actor=_ACTOR,
            )
            add_competency(
                session=session,
                person_id=person.id,
                competency=PersonCompetencyCreate(
                    name="isps", valid_until=utc_now() + timedelta(days=365)
                ),
                actor=_ACTOR,
            )
            seed.badges.append(badge)
    return seed
