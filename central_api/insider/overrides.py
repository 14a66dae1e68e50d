"""Corruption patterns in remote opens: opening for a person the gate had just denied.

A remote open of a lane minutes after a person was denied there overrides the gate's
decision; once is an alarm of its own, and the same operator doing it for the same person
again and again within days is a second, louder one. The denied person an open followed
is kept on the open request (`extra["after_denial"]`) so the repeat count needs no
guessing later.
"""

from collections.abc import Mapping
from datetime import timedelta

from gate_protocol.messages import Decision
from sqlmodel import Session, col, select

from central_api.db import utc_now
from central_api.insider.once import raise_once
from central_api.insider.rules import InsiderRules, site_rules
from central_api.models import AccessEventRecord, Gate, OpenRequest

__all__ = ["check_remote_open"]

_CLOCK_SKEW = timedelta(minutes=1)


def check_remote_open(
    *, session: Session, gate: Gate, request: OpenRequest, rules: InsiderRules
) -> int:
    """Run the override patterns on a new remote-open request (in `session`, not committed).

    `rules` are the defaults; the gate's site may override any of them. Returns how many
    alarms were raised.
    """
    rules = site_rules(session=session, site_id=gate.site_id, base=rules)
    now = utc_now()
    denial = session.exec(
        select(AccessEventRecord)
        .where(
            AccessEventRecord.gate_id == gate.id,
            AccessEventRecord.lane == request.lane,
            AccessEventRecord.decision == Decision.DENIED,
            col(AccessEventRecord.person_id).is_not(None),
            col(AccessEventRecord.occurred_at)
            >= now - timedelta(minutes=rules.open_after_denial_minutes),
            # A gate's clock a little ahead of the API's still counts as "before the open".
            col(AccessEventRecord.occurred_at) <= now + _CLOCK_SKEW,
        )
        .order_by(col(AccessEventRecord.occurred_at).desc())
        .limit(1)
    ).first()
    if denial is None or denial.person_id is None:
        return 0
    request.extra = {**request.extra, "after_denial": {"person_id": denial.person_id}}
    session.add(request)
    minutes = max(0, int((now - denial.occurred_at).total_seconds() // 60))
    operator = request.requested_by
    raised = raise_once(
        session=session,
        site_id=gate.site_id,
        gate_id=gate.id,
        person_id=denial.person_id,
        lane=request.lane,
        key=f"operator {operator} remote-opened {gate.id} lane {request.lane} after person "
        f"{denial.person_id} was denied there: ",
        since=denial.occurred_at,
        detail=f"denied {minutes} min earlier ({denial.reason}), opened with reason "
        f"{request.reason!r}",
    )
    return raised + _check_repeats(
        session=session, gate=gate, operator=operator, person_id=denial.person_id, rules=rules
    )


def _check_repeats(
    *, session: Session, gate: Gate, operator: str, person_id: str, rules: InsiderRules
) -> int:
    since = utc_now() - timedelta(days=rules.override_window_days)
    session.flush()
    extras = session.exec(
        select(OpenRequest.extra).where(
            OpenRequest.requested_by == operator, col(OpenRequest.requested_at) > since
        )
    ).all()
    overrides = len([extra for extra in extras if _denied_person(extra) == person_id])
    if overrides < rules.overrides_per_person:
        return 0
    return raise_once(
        session=session,
        site_id=gate.site_id,
        gate_id=gate.id,
        person_id=person_id,
        key=f"operator {operator} keeps overriding denials of person {person_id}: ",
        since=since,
        detail=f"{overrides} remote opens right after their denials within "
        f"{rules.override_window_days} days (last at {gate.id}); "
        f"threshold {rules.overrides_per_person}",
    )


def _denied_person(extra: Mapping[str, object]) -> object:
    """Whose denial an open request followed (None for an open that followed none)."""
    after = extra.get("after_denial")
    return after.get("person_id") if isinstance(after, dict) else None
