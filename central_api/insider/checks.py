"""Insider-pattern checks on newly stored events; each hit becomes an explained Alarm.

Patterns: an attempt outside the person's schedule; N denials for one person or at one
gate within M minutes; one credential at two gates farther apart than walking or driving
between them allows; one company's one-time passes used again (`companies`). Remote
opens are checked where they are made (`overrides`), bookings where they are made
(`appointments`).
Thresholds: `central_api.insider.rules` (code defaults, overridden per site).
"""

import math

from gate_protocol.messages import AlarmKind, Decision
from gate_protocol.reasons import ReasonCode
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.insider.companies import check_pass_reuse
from central_api.insider.rules import InsiderRules, site_rules
from central_api.models import AccessEventRecord, Gate

__all__ = ["InsiderRules", "check_event", "distance_m"]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def _raise_insider_alarm(*, session: Session, event: AccessEventRecord, detail: str) -> None:
    """An insider-pattern alarm at the event's gate, about the event's person, at its time."""
    raise_alarm(
        session=session,
        site_id=event.site_id,
        gate_id=event.gate_id,
        kind=AlarmKind.INSIDER_PATTERN,
        person_id=event.person_id,
        at=event.occurred_at,
        detail=detail,
    )


def check_event(*, session: Session, event: AccessEventRecord, rules: InsiderRules) -> int:
    """Run every event pattern on one newly stored event; returns how many alarms it raised.

    `rules` are the defaults; the event's site may override any of them.
    """
    rules = site_rules(session=session, site_id=event.site_id, base=rules)
    raised = 0
    if event.reason == ReasonCode.OUTSIDE_SCHEDULE and event.person_id:
        _raise_insider_alarm(
            session=session,
            event=event,
            detail=f"person {event.person_id} tried gate {event.gate_id} outside their schedule "
            f"at {event.occurred_at:%Y-%m-%d %H:%M} UTC",
        )
        raised += 1
    if event.decision == Decision.DENIED:
        raised += _check_denials(session=session, event=event, rules=rules)
    if event.person_id:
        raised += _check_travel(session=session, event=event, rules=rules)
    if event.reason == ReasonCode.PASS_ALREADY_USED:
        raised += check_pass_reuse(session=session, event=event, rules=rules)
    return raised


def _check_denials(*, session: Session, event: AccessEventRecord, rules: InsiderRules) -> int:
    raised = 0
    since = event.occurred_at - rules.denial_window
    minutes = int(rules.denial_window.total_seconds() // 60)
    scopes: list[tuple[str, object, str]] = [("gate", AccessEventRecord.gate_id, event.gate_id)]
    if event.person_id:
        scopes.append(("person", AccessEventRecord.person_id, event.person_id))
    for label, column, value in scopes:
        count = session.exec(
            select(func.count())
            .select_from(AccessEventRecord)
            .where(
                column == value,
                AccessEventRecord.decision == Decision.DENIED,
                col(AccessEventRecord.occurred_at) > since,
                col(AccessEventRecord.occurred_at) <= event.occurred_at,
            )
        ).one()
        # Exactly at the threshold: one alarm per burst, not one per further denial.
        if count == rules.denials:
            _raise_insider_alarm(
                session=session,
                event=event,
                detail=f"{count} denials for {label} {value} within {minutes} minutes "
                f"(last: {event.reason} at {event.gate_id})",
            )
            raised += 1
    return raised


def _check_travel(*, session: Session, event: AccessEventRecord, rules: InsiderRules) -> int:
    here = session.get(Gate, event.gate_id)
    if here is None:
        return 0
    has_place = here.latitude is not None and here.longitude is not None
    if not has_place and not rules.travel_times_s:
        return 0
    lo, hi = event.occurred_at - rules.travel_window, event.occurred_at + rules.travel_window
    others = session.exec(
        select(AccessEventRecord.gate_id, AccessEventRecord.occurred_at)
        .where(
            AccessEventRecord.person_id == event.person_id,
            AccessEventRecord.event_id != event.event_id,
            AccessEventRecord.gate_id != event.gate_id,
            col(AccessEventRecord.occurred_at) >= lo,
            col(AccessEventRecord.occurred_at) <= hi,
        )
        .order_by(col(AccessEventRecord.occurred_at).desc())
        .limit(20)
    ).all()
    for gate_id, at in others:
        there = session.get(Gate, gate_id)
        if there is None:
            continue
        seconds = max(abs((event.occurred_at - at).total_seconds()), 1.0)
        why = _too_fast(rules=rules, here=here, there=there, seconds=seconds)
        if why:
            _raise_insider_alarm(
                session=session,
                event=event,
                detail=f"credential of {event.person_id} used at {gate_id} and {event.gate_id} "
                f"{seconds:.0f} s apart, {why} (shared or cloned credential?)",
            )
            return 1
    return 0


def _too_fast(*, rules: InsiderRules, here: Gate, there: Gate, seconds: float) -> str | None:
    """Why `seconds` between the two gates is too fast, or None when it is plausible."""
    configured = rules.min_travel_s(here.id, there.id)
    if configured is not None:
        return f"less than the {configured} s it takes" if seconds < configured else None
    if None in (here.latitude, here.longitude, there.latitude, there.longitude):
        return None
    metres = distance_m(here.latitude, here.longitude, there.latitude, there.longitude)  # type: ignore[arg-type]
    if metres / seconds > rules.max_speed_mps:
        return f"{metres:.0f} m away: faster than {rules.max_speed_mps:.0f} m/s"
    return None
