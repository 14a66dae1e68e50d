"""Sites, zones, gates, gate keys and threat levels."""

import secrets

from gate_protocol.schedule import check_time_zone
from sqlmodel import Session, select

from central_api.crud.audited import Resync, commit_audited, commit_field_change
from central_api.db import utc_now
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.insider.rules import InsiderRules, InsiderRulesUpdate, apply_overrides
from central_api.models import (
    AgentKey,
    Gate,
    GateCreate,
    GateUpdate,
    Site,
    SiteCreate,
    Zone,
    ZoneCreate,
)
from central_api.security.auth import hash_key
from central_api.security.site_scope import unscoped

__all__ = [
    "create_gate",
    "create_site",
    "create_zone",
    "get_gate",
    "get_site",
    "issue_gate_key",
    "set_insider_rules",
    "set_site_timezone",
    "set_threat_level",
    "update_gate",
    "user_zone",
]


def get_site(*, session: Session, site_id: str) -> Site:
    """The site, or NotFoundError."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"site {site_id!r} not found")
    return site


def user_zone(*, session: Session, site_id: str | None) -> str:
    """The zone a user's pages show times in.

    A site's user: their site's. A port-wide user: the one zone every site shares, else
    UTC (each event's own offset stays in its ISO time).
    """
    with unscoped(session):
        if site_id is not None:
            site = session.get(Site, site_id)
            return site.timezone if site is not None else "UTC"
        zones = set(session.exec(select(Site.timezone)).all())
    return zones.pop() if len(zones) == 1 else "UTC"


def get_gate(*, session: Session, gate_id: str) -> Gate:
    """The gate, or NotFoundError."""
    gate = session.get(Gate, gate_id)
    if gate is None:
        raise NotFoundError(f"gate {gate_id!r} not found")
    return gate


def create_site(*, session: Session, site_create: SiteCreate, actor: str) -> Site:
    """Create a site (audited)."""
    with unscoped(session):
        taken = session.get(Site, site_create.id) is not None
    if taken:
        raise ConflictError(f"site {site_create.id!r} exists")
    site = Site.model_validate(site_create)
    commit_audited(
        session,
        actor=actor,
        action="site.create",
        target=f"site:{site.id}",
        after=site_create.model_dump(mode="json"),
        rows=[site],
    )
    return site


def set_site_timezone(*, session: Session, site_id: str, timezone: str, actor: str) -> Site:
    """Change the site's IANA time zone (checked by the caller's model; audited).

    Its gates resync: a schedule without a zone of its own follows the site's, and the
    offline replica must decide in the same zone as the API.
    """
    try:
        check_time_zone(timezone)
    except ValueError as exc:
        raise InvalidError(str(exc)) from None
    site = get_site(session=session, site_id=site_id)
    commit_field_change(
        session,
        row=site,
        field="timezone",
        value=timezone,
        actor=actor,
        action="site.timezone",
        target=f"site:{site_id}",
        resync=Resync(site_id),
    )
    session.refresh(site)
    return site


def create_zone(*, session: Session, zone_create: ZoneCreate, actor: str) -> Zone:
    """Create a zone in an existing site (audited)."""
    get_site(session=session, site_id=zone_create.site_id)
    with unscoped(session):  # zone ids are global: another site's zone is a conflict too
        taken = session.get(Zone, zone_create.id) is not None
    if taken:
        raise ConflictError(f"zone {zone_create.id!r} exists")
    zone = Zone.model_validate(zone_create)
    commit_audited(
        session,
        actor=actor,
        action="zone.create",
        target=f"zone:{zone.id}",
        after=zone_create.model_dump(mode="json"),
        rows=[zone],
        resync=Resync(zone.site_id),
    )
    return zone


def create_gate(*, session: Session, gate_create: GateCreate, actor: str) -> tuple[Gate, str]:
    """Create a gate and its first API key; returns ``(gate, key)`` (the key is shown once)."""
    get_site(session=session, site_id=gate_create.site_id)
    zone = session.get(Zone, gate_create.zone_id)
    if zone is None or zone.site_id != gate_create.site_id:
        raise NotFoundError(f"zone {gate_create.zone_id!r} not found in this site")
    with unscoped(session):  # gate ids are global (they stand alone in API paths)
        taken = session.get(Gate, gate_create.id) is not None
    if taken:
        raise ConflictError(f"gate {gate_create.id!r} exists")
    gate = Gate.model_validate(gate_create)
    session.add(gate)
    session.flush()
    key = _add_key(session=session, gate_id=gate.id)
    commit_audited(
        session,
        actor=actor,
        action="gate.create",
        target=f"gate:{gate.id}",
        after=gate_create.model_dump(mode="json"),
    )
    return gate, key


def _add_key(*, session: Session, gate_id: str) -> str:
    key = "pgk_" + secrets.token_urlsafe(32)
    session.add(AgentKey(gate_id=gate_id, key_hash=hash_key(key)))
    return key


def issue_gate_key(*, session: Session, gate_id: str, actor: str) -> str:
    """Revoke the gate's keys and issue a new one (audited); returns the new key."""
    get_gate(session=session, gate_id=gate_id)
    now = utc_now()
    for old in session.exec(select(AgentKey).where(AgentKey.gate_id == gate_id)).all():
        if old.revoked_at is None:
            old.revoked_at = now
            session.add(old)
    key = _add_key(session=session, gate_id=gate_id)
    commit_audited(session, actor=actor, action="gate.key_rotate", target=f"gate:{gate_id}")
    return key


def update_gate(*, session: Session, gate_id: str, gate_update: GateUpdate, actor: str) -> Gate:
    """Change a gate's policy (audited; gates resync)."""
    gate = get_gate(session=session, gate_id=gate_id)
    before = gate.model_dump(mode="json")
    changes = gate_update.model_dump(exclude_unset=True, exclude_none=True)
    gate.sqlmodel_update(changes)
    commit_audited(
        session,
        actor=actor,
        action="gate.update",
        target=f"gate:{gate_id}",
        before=before,
        after=gate.model_dump(mode="json"),
        rows=[gate],
        resync=Resync(gate.site_id),
    )
    return gate


def set_threat_level(*, session: Session, site_id: str, level: int, actor: str) -> Site:
    """Set a site's threat level 1-3 (audited; gates resync at once)."""
    if level not in (1, 2, 3):
        raise ConflictError("threat level is 1, 2 or 3")
    site = get_site(session=session, site_id=site_id)
    site.threat_changed_at = utc_now()
    commit_field_change(
        session,
        row=site,
        field="threat_level",
        value=level,
        actor=actor,
        action="site.threat_level",
        target=f"site:{site_id}",
        resync=Resync(site_id),
    )
    session.refresh(site)
    return site


def set_insider_rules(
    *, session: Session, site_id: str, update: InsiderRulesUpdate, actor: str
) -> InsiderRules:
    """Replace a site's insider-rule overrides (audited); returns the rules now in force."""
    site = get_site(session=session, site_id=site_id)
    before = dict(site.insider_rules or {})
    overrides = update.model_dump(exclude_none=True)
    site.insider_rules = overrides
    commit_audited(
        session,
        actor=actor,
        action="site.insider_rules",
        target=f"site:{site_id}",
        before=before,
        after=overrides,
        rows=[site],
    )
    return apply_overrides(InsiderRules(), overrides)
