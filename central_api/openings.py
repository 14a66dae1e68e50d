"""Remote opens: an operator opens a lane with a mandatory reason (audited).

With four-eyes on for the site, a second operator must approve first. The OpenCommand
expires soon after it is issued, so a delayed delivery never opens a gate long after.
"""

from datetime import timedelta

from gate_protocol.messages import AlarmKind, OpenCommand, new_id
from gate_protocol.topics import GateChannel, GateTopic
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.audit.chain import append_audit
from central_api.bus.notify import queue_after_commit
from central_api.crud.sites import get_gate, get_site
from central_api.db import utc_now
from central_api.errors import ConflictError, NotFoundError
from central_api.insider.overrides import check_remote_open
from central_api.insider.rules import InsiderRules, site_rules
from central_api.models import Gate, OpenRequest, OpenRequestCreate
from central_api.security.command_keys import command_signer

__all__ = ["approve_open", "request_open"]


def request_open(
    *,
    session: Session,
    gate_id: str,
    open_create: OpenRequestCreate,
    username: str,
    ttl_s: int,
    seal_key: bytes,
    rules: InsiderRules | None = None,
) -> OpenRequest:
    """Ask to open a lane: issued at once, or pending when the site wants four eyes."""
    gate = get_gate(session=session, gate_id=gate_id)
    if open_create.lane >= gate.lanes:
        raise ConflictError(f"gate {gate_id} has lanes 0 to {gate.lanes - 1}")
    site = get_site(session=session, site_id=gate.site_id)
    request = OpenRequest(
        id=new_id(),
        gate_id=gate_id,
        lane=open_create.lane,
        direction=open_create.direction,
        reason=open_create.reason,
        requested_by=username,
    )
    session.add(request)
    append_audit(
        session=session,
        actor=f"user:{username}",
        action="gate.remote_open_request",
        target=f"gate:{gate_id}",
        after=open_create.model_dump(mode="json") | {"request_id": request.id},
    )
    _check_rate(session=session, gate=gate, username=username, rules=rules or InsiderRules())
    check_remote_open(session=session, gate=gate, request=request, rules=rules or InsiderRules())
    if not site.four_eyes_open:
        _issue(session=session, gate=gate, request=request, ttl_s=ttl_s, seal_key=seal_key)
    session.commit()
    return request


def approve_open(
    *, session: Session, request_id: str, username: str, ttl_s: int, seal_key: bytes
) -> OpenRequest:
    """A second operator approves a pending request; the requester may not approve."""
    request = session.exec(
        select(OpenRequest).where(OpenRequest.id == request_id).with_for_update()
    ).first()
    # Open requests have no site of their own: a site-bound user's scoped session finds no
    # gate of another site, so that site's requests do not exist for them either.
    if request is None or session.get(Gate, request.gate_id) is None:
        raise NotFoundError(f"open request {request_id!r} not found")
    if request.status != "pending":
        raise ConflictError(f"open request is {request.status}")
    if request.requested_by == username:
        raise ConflictError("four-eyes: a second operator must approve")
    if utc_now() - request.requested_at > timedelta(minutes=5):
        request.status = "expired"
        session.add(request)
        session.commit()
        raise ConflictError("open request expired (older than 5 minutes)")
    request.approved_by = username
    gate = get_gate(session=session, gate_id=request.gate_id)
    append_audit(
        session=session,
        actor=f"user:{username}",
        action="gate.remote_open_approve",
        target=f"gate:{request.gate_id}",
        after={"request_id": request.id, "requested_by": request.requested_by},
    )
    _issue(session=session, gate=gate, request=request, ttl_s=ttl_s, seal_key=seal_key)
    session.commit()
    return request


def _issue(
    *, session: Session, gate: Gate, request: OpenRequest, ttl_s: int, seal_key: bytes
) -> None:
    now = utc_now()
    signer = command_signer(session=session, gate=gate, seal_key=seal_key, actor="system")
    unsigned = OpenCommand(
        command_id=new_id(),
        lane=request.lane,
        direction=request.direction,
        issued_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
        issued_by=request.approved_by or request.requested_by,
        reason=request.reason,
    )
    command = signer.sign(unsigned)
    request.status, request.command_id = "issued", command.command_id
    session.add(request)
    append_audit(
        session=session,
        actor=f"user:{request.approved_by or request.requested_by}",
        action="gate.remote_open",
        target=f"gate:{gate.id}",
        after={
            "command_id": command.command_id,
            "lane": request.lane,
            "reason": request.reason,
            "requested_by": request.requested_by,
            "approved_by": request.approved_by,
            "expires_at": command.expires_at.isoformat(),
        },
    )
    queue_after_commit(
        session=session,
        topic=GateTopic(site=gate.site_id, gate=gate.id, channel=GateChannel.CMD_OPEN),
        message=command,
    )


def _check_rate(*, session: Session, gate: Gate, username: str, rules: InsiderRules) -> None:
    """Alarm when an operator's opens this hour are far above their usual hourly rate."""
    rules = site_rules(session=session, site_id=gate.site_id, base=rules)
    now = utc_now()
    last_hour = session.exec(
        select(func.count())
        .select_from(OpenRequest)
        .where(
            OpenRequest.requested_by == username,
            col(OpenRequest.requested_at) > now - timedelta(hours=1),
        )
    ).one()
    month = session.exec(
        select(func.count())
        .select_from(OpenRequest)
        .where(
            OpenRequest.requested_by == username,
            col(OpenRequest.requested_at) > now - timedelta(days=30),
            col(OpenRequest.requested_at) <= now - timedelta(hours=1),
        )
    ).one()
    usual = month / (30 * 24)
    threshold = max(rules.open_rate_floor, rules.open_rate_factor * usual)
    # The request being made is already flushed into `last_hour`; alarm once, when the
    # count first goes over the threshold.
    if last_hour == int(threshold) + 1:
        raise_alarm(
            session=session,
            site_id=gate.site_id,
            gate_id=gate.id,
            kind=AlarmKind.INSIDER_PATTERN,
            detail=f"operator {username} made {last_hour} remote opens in the last hour; "
            f"their usual rate is {usual:.2f} per hour",
        )
