"""Sites, zones, gates and threat levels (admins change; every user may read)."""

from fastapi import APIRouter
from gate_protocol.ids import Id
from pydantic import BaseModel, Field
from sqlmodel import select

from central_api.crud import sites as crud
from central_api.deps import SessionDep
from central_api.insider.rules import InsiderRules, InsiderRulesUpdate, site_rules
from central_api.models import (
    Gate,
    GateCreate,
    GatePublic,
    GateUpdate,
    Site,
    SiteCreate,
    SitePublic,
    SiteTimezoneIn,
    ZoneCreate,
    ZonePublic,
)
from central_api.routes.params import IdPath
from central_api.security.auth import AdminUser, AnyUser, check_site_wide

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["sites"])


class GateCreated(BaseModel):
    """A new gate and its API key: shown this once, stored only as a hash."""

    gate: GatePublic
    api_key: str


class GateKeyOut(BaseModel):
    """A fresh gate key (the old ones stop working)."""

    gate_id: Id
    api_key: str


class ThreatLevelIn(BaseModel):
    """The site's threat level: 1 normal, 2 no visitors, 3 staff only."""

    level: int = Field(ge=1, le=3)


@router.get("/sites", response_model=list[SitePublic])
def list_sites(session: SessionDep, user: AnyUser) -> list[Site]:
    """Every site the caller may see (a site-bound user: their own)."""
    return list(session.exec(select(Site).order_by(Site.id)).all())


@router.post("/sites", response_model=SitePublic, status_code=201)
def create_site(body: SiteCreate, session: SessionDep, admin: AdminUser) -> Site:
    """Add a site (site-wide admins only)."""
    check_site_wide(admin)
    return crud.create_site(session=session, site_create=body, actor=admin.actor)


@router.put("/sites/{site_id}/threat-level", response_model=SitePublic)
def set_threat_level(
    site_id: IdPath, body: ThreatLevelIn, session: SessionDep, admin: AdminUser
) -> Site:
    """Raise or lower the threat level; every gate of the site resyncs at once."""
    return crud.set_threat_level(
        session=session, site_id=site_id, level=body.level, actor=admin.actor
    )


@router.put("/sites/{site_id}/timezone", response_model=SitePublic)
def set_site_timezone(
    site_id: IdPath, body: SiteTimezoneIn, session: SessionDep, admin: AdminUser
) -> Site:
    """Set the site's IANA time zone (schedules without a zone, reports, pass cards).

    A name that is no IANA zone ("Europe/Amsterdm", "UTC+25") is a 422; the site's
    gates resync so their offline replica decides in the new zone.
    """
    return crud.set_site_timezone(
        session=session, site_id=site_id, timezone=body.timezone, actor=admin.actor
    )


@router.post("/zones", response_model=ZonePublic, status_code=201)
def create_zone(body: ZoneCreate, session: SessionDep, admin: AdminUser) -> ZonePublic:
    """Add a zone."""
    zone = crud.create_zone(session=session, zone_create=body, actor=admin.actor)
    return ZonePublic.model_validate(zone, from_attributes=True)


@router.get("/gates", response_model=list[GatePublic])
def list_gates(session: SessionDep, user: AnyUser) -> list[Gate]:
    """Every gate the caller may see, with its policy."""
    return list(session.exec(select(Gate).order_by(Gate.id)).all())


@router.post("/gates", response_model=GateCreated, status_code=201)
def create_gate(body: GateCreate, session: SessionDep, admin: AdminUser) -> GateCreated:
    """Add a gate; the answer holds its API key, shown this once."""
    gate, key = crud.create_gate(session=session, gate_create=body, actor=admin.actor)
    return GateCreated(gate=GatePublic.model_validate(gate, from_attributes=True), api_key=key)


@router.patch("/gates/{gate_id}", response_model=GatePublic)
def update_gate(gate_id: IdPath, body: GateUpdate, session: SessionDep, admin: AdminUser) -> Gate:
    """Change a gate's policy (the gate resyncs)."""
    return crud.update_gate(session=session, gate_id=gate_id, gate_update=body, actor=admin.actor)


@router.post("/gates/{gate_id}/key", response_model=GateKeyOut)
def rotate_gate_key(gate_id: IdPath, session: SessionDep, admin: AdminUser) -> GateKeyOut:
    """Issue a new key for the gate; its old keys stop working."""
    key = crud.issue_gate_key(session=session, gate_id=gate_id, actor=admin.actor)
    return GateKeyOut(gate_id=gate_id, api_key=key)


@router.get("/sites/{site_id}/insider-rules", response_model=InsiderRules)
def get_insider_rules(site_id: IdPath, session: SessionDep, admin: AdminUser) -> InsiderRules:
    """The insider-pattern thresholds in force at the site (defaults plus its overrides)."""
    crud.get_site(session=session, site_id=site_id)
    return site_rules(session=session, site_id=site_id, base=InsiderRules())


@router.put("/sites/{site_id}/insider-rules", response_model=InsiderRules)
def set_insider_rules(
    site_id: IdPath, body: InsiderRulesUpdate, session: SessionDep, admin: AdminUser
) -> InsiderRules:
    """Replace the site's overrides (absent fields: the defaults); audited."""
    return crud.set_insider_rules(session=session, site_id=site_id, update=body, actor=admin.actor)
