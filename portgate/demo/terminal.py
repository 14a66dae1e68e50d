"""The demo's second terminal: a site of its own that shares an identity with the first.

One person enrolled at the demo port (the script's ``granted`` role) is activated at the
second terminal by that terminal's desk, with the terminal's own access group: the same
badge then opens both terminals' gates. The terminal has its own broker (MQTT is per
site); its gate decides through the one central API, and its events reach the API over
the agent's HTTP replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from central_api.crud.activations import activate_person
from central_api.crud.rules import create_access_group
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.models import (
    AccessGroupCreate,
    GateCreate,
    SiteActivationCreate,
    SiteCreate,
    ZoneCreate,
)
from central_api.security.command_keys import public_command_keys, replica_command_key

__all__ = ["SHARED_ROLE", "TERMINAL", "TERMINAL_GATE", "TerminalSeed", "seed_terminal"]

TERMINAL = "demo-terminal-2"
TERMINAL_GATE = "t2-staff-1"
# The script role whose identity both terminals share.
SHARED_ROLE = "granted"
_ACTOR = "demo:seed"


@dataclass
class TerminalSeed:
    """The second terminal's gate key and its bridge's public command keys."""

    gate_key: str = field(default="", repr=False)
    command_keys: dict[str, str] = field(default_factory=dict)


def seed_terminal(*, session: Session, person_id: str, seal_key: bytes) -> TerminalSeed:
    """The second terminal (site, quay, one staff gate, a group) and the shared activation."""
    create_site(
        session=session,
        site_create=SiteCreate(id=TERMINAL, name="Demo terminal 2"),
        actor=_ACTOR,
    )
    create_zone(
        session=session,
        zone_create=ZoneCreate(id="t2-quay", site_id=TERMINAL, name="Terminal 2 quay"),
        actor=_ACTOR,
    )
    _, gate_key = create_gate(
        session=session,
        gate_create=GateCreate(
            id=TERMINAL_GATE,
            site_id=TERMINAL,
            zone_id="t2-quay",
            name="Terminal 2 staff turnstile",
            direction="entry",
            face_required=False,
            liveness_required=False,
        ),
        actor=_ACTOR,
    )
    replica_command_key(session=session, gate_id=TERMINAL_GATE, seal_key=seal_key, actor=_ACTOR)
    keys = public_command_keys(session=session, gate_id=TERMINAL_GATE)
    session.commit()
    create_access_group(
        session=session,
        group_create=AccessGroupCreate(name="t2 quay", site_id=TERMINAL, zone_ids=["t2-quay"]),
        actor=_ACTOR,
    )
    # The terminal's desk activates the identity the demo port enrolled: no second record.
    activate_person(
        session=session,
        person_id=person_id,
        activation=SiteActivationCreate(site_id=TERMINAL, access_groups=["t2 quay"]),
        user_site=TERMINAL,
        actor=_ACTOR,
    )
    return TerminalSeed(gate_key=gate_key, command_keys=keys)
