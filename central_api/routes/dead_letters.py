"""Dead letters (site-wide admins): MQTT messages the ingest kept instead of storing."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from central_api.deps import SessionDep
from central_api.models import DeadLetter, DeadLetterPublic
from central_api.security.auth import AdminUser, check_site_wide

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/dead-letters", tags=["ingest"])


@router.get("", response_model=list[DeadLetterPublic])
def recent_dead_letters(
    session: SessionDep, admin: AdminUser, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[DeadLetterPublic]:
    """The latest dead letters, newest first (site-wide admins only).

    A message's site may be unknown or forged, so dead letters are not split by site.
    """
    check_site_wide(admin)
    rows = session.exec(select(DeadLetter).order_by(col(DeadLetter.id).desc()).limit(limit)).all()
    return [
        DeadLetterPublic(
            id=row.id or 0,
            received_at=row.received_at,
            topic=row.topic,
            reason=row.reason,
            error=row.error,
            payload=bytes(row.payload).decode("utf-8", errors="backslashreplace"),
        )
        for row in rows
    ]
