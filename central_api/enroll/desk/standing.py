"""A person's standing as the desk sees it: everywhere they are active, and what blocks them.

The desk sees what it may act on. Of a port ban it sees that one is in force (and its
window), never the reason or the legal reference: those are the port authority's (their
routes require the authority role). Watchlist entries are the desk's own (it sets them
through `/api/v1/watchlist`), so it sees their action and reason. A site-bound desk user's
session is site-scoped (`central_api.security.site_scope`): other sites' rows are not there.
"""

from datetime import date, datetime

from gate_protocol.messages import BadgeFormat, CredentialKind
from gate_protocol.records import WatchlistAction
from pydantic import BaseModel
from sqlmodel import Session, col, select

from central_api.crud.people import get_person
from central_api.enroll.desk.days import first_day, last_day, site_zone
from central_api.enroll.people import summarise_people
from central_api.enroll.schemas import PersonSummary
from central_api.enroll.tables import DeskNote, IssuedPass
from central_api.models import (
    ActivationStatus,
    Appointment,
    BanStatus,
    Credential,
    PortBan,
    Site,
    SiteActivation,
    WatchlistEntry,
)

__all__ = ["PersonStanding", "person_standing"]


class SiteStanding(BaseModel):
    """The person at one site: active or suspended there, and that site's inclusive days."""

    site_id: str
    site_name: str
    timezone: str
    status: ActivationStatus
    first_day: date | None
    last_day: date | None


class CredentialStanding(BaseModel):
    """A badge or pass id of the person, revoked or not, with the desk's reason."""

    id: int
    kind: CredentialKind
    ref: str
    badge_format: BadgeFormat | None
    revoked_at: datetime | None
    revoke_reason: str | None


class PassStanding(BaseModel):
    """An issued QR pass and whether its one passage is spent."""

    pass_id: str
    gates: list[str]
    not_before: datetime
    expires_at: datetime
    one_time: bool
    used_at: datetime | None


class BanStanding(BaseModel):
    """That a port ban holds (no reason, no legal reference: the authority's data)."""

    valid_from: datetime
    valid_until: datetime | None


class WatchlistStanding(BaseModel):
    """An active watchlist entry the desk set."""

    action: WatchlistAction
    reason: str
    created_at: datetime


class PersonStanding(BaseModel):
    """Everything the desk page shows about one person."""

    person: PersonSummary
    timezone: str
    first_day: date | None
    last_day: date | None
    status_reason: str | None
    sites: list[SiteStanding]
    credentials: list[CredentialStanding]
    passes: list[PassStanding]
    port_bans: list[BanStanding]
    watchlist: list[WatchlistStanding]


def _notes(session: Session, person_id: str) -> list[DeskNote]:
    return list(
        session.exec(
            select(DeskNote)
            .where(DeskNote.person_id == person_id)
            .order_by(col(DeskNote.at), col(DeskNote.id))
        ).all()
    )


def _sites(session: Session, person_id: str) -> list[SiteStanding]:
    rows = session.exec(
        select(SiteActivation, Site)
        .join(Site, col(Site.id) == col(SiteActivation.site_id))
        .where(SiteActivation.person_id == person_id)
        .order_by(col(SiteActivation.site_id))
    ).all()
    out = []
    for activation, site in rows:
        zone = site_zone(session, site.id)
        out.append(
            SiteStanding(
                site_id=site.id,
                site_name=site.name,
                timezone=zone.key,
                status=activation.status,
                first_day=first_day(activation.valid_from, zone),
                last_day=last_day(activation.valid_until, zone),
            )
        )
    return out


def _credentials(
    session: Session, person_id: str, notes: list[DeskNote]
) -> list[CredentialStanding]:
    reasons = {n.credential_id: n.reason for n in notes if n.credential_id is not None}
    rows = session.exec(
        select(Credential).where(Credential.person_id == person_id).order_by(col(Credential.id))
    ).all()
    return [
        CredentialStanding(
            id=row.id or 0,
            kind=row.kind,
            ref=row.ref,
            badge_format=row.badge_format,
            revoked_at=row.revoked_at,
            revoke_reason=reasons.get(row.id or 0) if row.revoked_at else None,
        )
        for row in rows
    ]


def _passes(session: Session, person_id: str) -> list[PassStanding]:
    rows = session.exec(
        select(IssuedPass, Appointment)
        .join(Appointment, col(Appointment.id) == col(IssuedPass.appointment_id))
        .where(IssuedPass.person_id == person_id)
        .order_by(col(IssuedPass.not_before))
    ).all()
    return [
        PassStanding(
            pass_id=row.pass_id,
            gates=[g.upper() for g in appointment.gates],
            not_before=row.not_before,
            expires_at=row.expires_at,
            one_time=appointment.one_time,
            used_at=appointment.used_at,
        )
        for row, appointment in rows
    ]


def person_standing(*, session: Session, person_id: str, now: datetime) -> PersonStanding:
    """The person's standing (NotFoundError where the caller's scope has no such person)."""
    person = get_person(session=session, person_id=person_id)
    zone = site_zone(session, person.site_id)
    notes = _notes(session, person_id)
    status_notes = [n for n in notes if n.credential_id is None]
    bans = session.exec(
        select(PortBan).where(
            PortBan.person_id == person_id,
            col(PortBan.status) == BanStatus.ACTIVE,
        )
    ).all()
    watch = session.exec(
        select(WatchlistEntry).where(
            WatchlistEntry.person_id == person_id, col(WatchlistEntry.active).is_(True)
        )
    ).all()
    return PersonStanding(
        person=summarise_people(session=session, people=[person])[0],
        timezone=zone.key,
        first_day=first_day(person.valid_from, zone),
        last_day=last_day(person.valid_until, zone),
        status_reason=status_notes[-1].reason if status_notes else None,
        sites=_sites(session, person_id),
        credentials=_credentials(session, person_id, notes),
        passes=_passes(session, person_id),
        port_bans=[
            BanStanding(valid_from=b.valid_from, valid_until=b.valid_until)
            for b in bans
            if b.valid_until is None or b.valid_until > now
        ],
        watchlist=[
            WatchlistStanding(action=w.action, reason=w.reason, created_at=w.created_at)
            for w in watch
        ],
    )
