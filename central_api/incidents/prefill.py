"""A report prefilled from an alarm or an access event (the dashboard's "Report incident").

The kind is guessed from the alarm's kind or the event's reason; when, where, the
person's pseudonym and their company come from the row. The operator reads it, may
change it, and files it: two clicks from the alarm to a filed report.
"""

from gate_protocol.message_base import AlarmKind
from gate_protocol.reasons import ReasonCode
from gate_protocol.text import neutralised_text
from sqlmodel import Session, select

from central_api.errors import InvalidError, NotFoundError
from central_api.incidents.pseudonym import person_pseudonym
from central_api.incidents.tables import IncidentCreate, IncidentKind
from central_api.models import AccessEventRecord, Alarm, Company, Person

__all__ = ["KIND_OF_ALARM", "KIND_OF_REASON", "prefill"]

# An alarm kind (or a denial reason) not named here is reported as `other`.
KIND_OF_ALARM: dict[str, IncidentKind] = {
    AlarmKind.FORCED: IncidentKind.FORCED_GATE,
    AlarmKind.HELD: IncidentKind.SUSPICIOUS_BEHAVIOUR,
    AlarmKind.TAMPER: IncidentKind.FORCED_GATE,
    AlarmKind.TAILGATING: IncidentKind.TAILGATING,
    AlarmKind.LIVENESS: IncidentKind.LIVENESS_ATTACK,
    AlarmKind.WATCHLIST: IncidentKind.SUSPICIOUS_BEHAVIOUR,
    AlarmKind.INSIDER_PATTERN: IncidentKind.INSIDER_PATTERN,
    AlarmKind.FORGED_COMMAND: IncidentKind.SUSPICIOUS_BEHAVIOUR,
    AlarmKind.ANTI_PASSBACK: IncidentKind.PASS_FRAUD,
    AlarmKind.COMPANY_FLAGGED: IncidentKind.SUSPICIOUS_BEHAVIOUR,
    AlarmKind.PORT_BAN: IncidentKind.SUSPICIOUS_BEHAVIOUR,
}
KIND_OF_REASON: dict[str, IncidentKind] = {
    ReasonCode.PASS_INVALID: IncidentKind.PASS_FRAUD,
    ReasonCode.PASS_ALREADY_USED: IncidentKind.PASS_FRAUD,
    ReasonCode.REVOKED: IncidentKind.PASS_FRAUD,
    ReasonCode.UNKNOWN_CREDENTIAL: IncidentKind.PASS_FRAUD,
    ReasonCode.FACE_MISMATCH: IncidentKind.PASS_FRAUD,
    ReasonCode.ANTI_PASSBACK: IncidentKind.PASS_FRAUD,
    ReasonCode.LIVENESS_FAILED: IncidentKind.LIVENESS_ATTACK,
    ReasonCode.WATCHLIST: IncidentKind.SUSPICIOUS_BEHAVIOUR,
    ReasonCode.PORT_BAN: IncidentKind.SUSPICIOUS_BEHAVIOUR,
}


def _involved(session: Session, key: bytes, person_id: str | None) -> tuple[list[str], list[int]]:
    """The person's pseudonym and their company id (nothing for an unknown person)."""
    if person_id is None:
        return [], []
    person = session.get(Person, person_id)
    if person is None:
        return [], []
    company = None if person.company_id is None else session.get(Company, person.company_id)
    companies = [] if company is None or company.id is None else [company.id]
    return [person_pseudonym(key, person_id)], companies


def prefill(
    *, session: Session, key: bytes, alarm_id: str | None = None, event_id: str | None = None
) -> IncidentCreate:
    """A draft report from the alarm or the event (exactly one of them), not stored.

    Raises:
        InvalidError: Neither or both given.
        NotFoundError: No such alarm or event within the caller's site.
    """
    if (alarm_id is None) == (event_id is None):
        raise InvalidError("give exactly one of alarm_id and event_id")
    if alarm_id is not None:
        alarm = session.exec(select(Alarm).where(Alarm.alarm_id == alarm_id)).first()
        if alarm is None:
            raise NotFoundError(f"alarm {alarm_id!r} not found")
        pseudonyms, companies = _involved(session, key, alarm.person_id)
        # A gate's detail is shown, never trusted: no control or bidi character gets in.
        detail = f": {neutralised_text(alarm.detail)[:1000]}" if alarm.detail else ""
        return IncidentCreate(
            kind=KIND_OF_ALARM.get(alarm.kind, IncidentKind.OTHER),
            occurred_at=alarm.raised_at,
            site_id=alarm.site_id,
            gate_id=alarm.gate_id,
            company_ids=companies,
            person_pseudonyms=pseudonyms,
            narrative=f"Alarm {alarm.kind}{detail}",
            source_alarm_id=alarm.alarm_id,
        )
    event = session.exec(
        select(AccessEventRecord).where(AccessEventRecord.event_id == event_id)
    ).first()
    if event is None:
        raise NotFoundError(f"event {event_id!r} not found")
    pseudonyms, companies = _involved(session, key, event.person_id)
    return IncidentCreate(
        kind=KIND_OF_REASON.get(event.reason, IncidentKind.OTHER),
        occurred_at=event.occurred_at,
        site_id=event.site_id,
        gate_id=event.gate_id,
        company_ids=companies,
        person_pseudonyms=pseudonyms,
        narrative=f"Access {event.decision} ({event.reason}) at lane {event.lane}",
        source_event_id=event.event_id,
    )
