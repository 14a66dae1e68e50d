"""The audit log (site-wide admins): verify the chain, read recent rows."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from central_api.audit.chain import verify_chain
from central_api.audit.event_chain import verify_events
from central_api.deps import SessionDep
from central_api.models import AuditEntry
from central_api.security.auth import AdminUser, check_site_wide

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class VerifyOut(BaseModel):
    """The chain verdict."""

    ok: bool
    checked: int
    broken_seq: int | None
    message: str
    # The stored events against their batches' Merkle roots (checked when the chain holds).
    events_ok: bool | None = None
    events_checked: int = 0
    events_not_covered: int = 0
    event_problems: list[str] = []


class AuditRow(BaseModel):
    """One audit row."""

    seq: int
    at: str
    actor: str
    action: str
    target: str
    before: str | None
    after: str | None
    hash: str


@router.get("/verify", response_model=VerifyOut)
def verify(session: SessionDep, admin: AdminUser) -> VerifyOut:
    """Walk the hash chain (site-wide admins: the chain spans every site)."""
    check_site_wide(admin)
    verdict = verify_chain(session=session)
    events = verify_events(session=session) if verdict.ok else None
    return VerifyOut(
        ok=verdict.ok and (events is None or events.ok),
        checked=verdict.checked,
        broken_seq=verdict.broken_seq,
        message=verdict.message,
        events_ok=None if events is None else events.ok,
        events_checked=0 if events is None else events.checked,
        events_not_covered=0 if events is None else events.not_covered,
        event_problems=[] if events is None else events.problems,
    )


@router.get("", response_model=list[AuditRow])
def recent(
    session: SessionDep, admin: AdminUser, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[AuditRow]:
    """The latest audit rows, newest first (site-wide admins only)."""
    check_site_wide(admin)
    rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(limit)).all()
    return [
        AuditRow(
            seq=r.seq,
            at=r.at.isoformat(),
            actor=r.actor,
            action=r.action,
            target=r.target,
            before=r.before,
            after=r.after,
            hash=r.hash,
        )
        for r in rows
    ]
