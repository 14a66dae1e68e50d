"""The seeded world of the API tests (importable helpers; fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.models import GateCreate, Role, SiteCreate, User, ZoneCreate
from central_api.security.auth import create_token, hash_password

if TYPE_CHECKING:
    from gate_protocol.messages import AccessEvent

PASSWORD = "correct-horse-battery"
_PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class World:
    """A seeded site: users of every role, two gates here, one gate at another site."""

    site: str = "rtm"
    zone: str = "quay"
    gate: str = "north-1"
    gate2: str = "south-1"
    other_site: str = "ams"
    other_gate: str = "ams-1"
    keys: dict[str, str] = field(default_factory=dict)
    tokens: dict[Role, str] = field(default_factory=dict)

    def user(self, role: Role) -> dict[str, str]:
        """The bearer header of the user of `role`."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def user_desk(self) -> dict[str, str]:
        """The bearer header of the security desk user."""
        return self.user(Role.SECURITY_DESK)

    def gate_key(self, gate: str | None = None) -> dict[str, str]:
        """The gate-key header of `gate` (the world's gate by default)."""
        return {"X-Gate-Key": self.keys[gate or self.gate]}


def seed_world(engine: Engine, settings: Settings) -> World:
    """Seed the world (sites, zones, gates, keys, one user per role) and return it."""
    world = World()
    with Session(engine, expire_on_commit=False) as session:
        for site, zone in ((world.site, world.zone), (world.other_site, "ams-quay")):
            create_site(session=session, site_create=SiteCreate(id=site, name=site), actor="test")
            create_zone(
                session=session,
                zone_create=ZoneCreate(id=zone, site_id=site, name=zone),
                actor="test",
            )
        for gate_id, site, zone, lat in (
            (world.gate, world.site, world.zone, 51.95),
            (world.gate2, world.site, world.zone, 51.90),
            (world.other_gate, world.other_site, "ams-quay", 52.40),
        ):
            _, key = create_gate(
                session=session,
                gate_create=GateCreate(
                    id=gate_id, site_id=site, zone_id=zone, lanes=2, latitude=lat, longitude=4.1
                ),
                actor="test",
            )
            world.keys[gate_id] = key
        for role in Role:
            user = User(username=f"{role.value}-user", password_hash=_PASSWORD_HASH, role=role)
            session.add(user)
            session.commit()
            world.tokens[role] = create_token(
                settings=settings, user=user, minutes=5, purpose="access"
            )
    return world


def make_event(n: int = 0, **fields: object) -> AccessEvent:
    """An AccessEvent with sensible defaults; `fields` override them."""
    from datetime import UTC, datetime, timedelta

    from gate_protocol.messages import (
        AccessEvent,
        CredentialKind,
        DecidedBy,
        Decision,
        Direction,
    )
    from gate_protocol.reasons import ReasonCode

    values: dict[str, object] = {
        "event_id": f"ev-{n}",
        "agent_seq": n,
        "occurred_at": datetime(2026, 11, 22, 8, 0, tzinfo=UTC) + timedelta(seconds=n),
        "lane": 0,
        "direction": Direction.ENTRY,
        "decision": Decision.GRANTED,
        "reason": ReasonCode.GRANTED,
        "credential_kind": CredentialKind.BADGE,
        "decided_by": DecidedBy.CENTRAL,
    }
    values.update(fields)
    return AccessEvent.model_validate(values)
