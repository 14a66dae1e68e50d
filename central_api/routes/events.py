"""Events and alarms for operators: read, search and export events; read, search, ack alarms.

The port authority (no site) reads every site's events and alarms; it acknowledges none.
Search and export (`central_api.search`) page by a keyset cursor and stream CSV of any size.
A search by an operator or admin carries the enrolled photo's URL beside each face decision
of a site that shows photos (`central_api.enroll.shown_photos`); the authority's carries none.

Gates send theirs through `central_api.routes.gate_uploads`.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from central_api.alarms.ack import acknowledge_alarm as acknowledge
from central_api.db import utc_now
from central_api.deps import SessionDep
from central_api.enroll.shown_photos import with_photo_urls
from central_api.errors import InvalidError
from central_api.models import (
    AccessEventPublic,
    AccessEventRecord,
    Alarm,
    AlarmAck,
    AlarmPublic,
    Role,
)
from central_api.routes.params import IdPath
from central_api.search.alarms import search_alarms
from central_api.search.events import search_events
from central_api.search.export import export_filename, stream_events_csv
from central_api.search.filters import MAX_PAGE_SIZE, alarm_filters, event_filters
from central_api.security.auth import OperatorUser, WatchUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.get("/events", response_model=list[AccessEventPublic])
def list_events(
    session: SessionDep,
    user: WatchUser,
    gate_id: Annotated[str | None, Query(max_length=64)] = None,
    person_id: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AccessEventRecord]:
    """Latest events first, optionally for one gate or person, after `since`."""
    statement = select(AccessEventRecord).order_by(col(AccessEventRecord.occurred_at).desc())
    if gate_id:
        statement = statement.where(AccessEventRecord.gate_id == gate_id)
    if person_id:
        statement = statement.where(AccessEventRecord.person_id == person_id)
    if since is not None:
        if since.tzinfo is None:
            raise InvalidError("since must carry a time zone (e.g. 2026-01-01T00:00:00Z)")
        statement = statement.where(col(AccessEventRecord.occurred_at) >= since)
    return list(session.exec(statement.limit(limit)).all())


@router.get("/alarms", response_model=list[AlarmPublic])
def list_alarms(
    session: SessionDep,
    user: WatchUser,
    open_only: bool = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Alarm]:
    """Latest alarms first; by default only those not yet acknowledged."""
    statement = select(Alarm).order_by(col(Alarm.raised_at).desc()).limit(limit)
    if open_only:
        statement = statement.where(col(Alarm.acknowledged_at).is_(None))
    return list(session.exec(statement).all())


@router.post("/alarms/{alarm_id}/ack", response_model=AlarmPublic)
def acknowledge_alarm(
    alarm_id: IdPath,
    body: AlarmAck,
    session: SessionDep,
    user: OperatorUser,
) -> Alarm:
    """Acknowledge an alarm with a comment (audited; every replica's dashboard is told)."""
    return acknowledge(session=session, alarm_id=alarm_id, comment=body.comment, user=user)


class _Search(BaseModel):
    """What every search shares: the time range (ISO 8601 with a zone), site and gate."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    since: str | None = Field(default=None, alias="from", max_length=64)
    until: str | None = Field(default=None, alias="to", max_length=64)
    site: str | None = Field(default=None, max_length=64)
    gate: str | None = Field(default=None, max_length=64)


class EventQuery(_Search):
    """The filters of an event search or export (an empty value means any)."""

    zone: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=64)
    decision: str | None = Field(default=None, max_length=16)
    person: str | None = Field(default=None, max_length=120)
    company: str | None = Field(default=None, max_length=120)
    credential_kind: str | None = Field(default=None, max_length=32)
    decided_by: str | None = Field(default=None, max_length=32)


class EventSearchQuery(EventQuery):
    """An event search: the filters, the cursor of the page and the page size."""

    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)


class AlarmSearchQuery(_Search):
    """An alarm search: kind, state (open or acknowledged), cursor and page size."""

    kind: str | None = Field(default=None, max_length=32)
    state: str | None = Field(default=None, max_length=16)
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)


_PAGING = {"cursor", "limit"}


@router.get("/events/search")
def search_events_route(
    session: SessionDep, user: WatchUser, query: Annotated[EventSearchQuery, Query()]
) -> dict[str, Any]:
    """Events matching the filters, newest first, a page at a time (``next_cursor``)."""
    filters = event_filters(**query.model_dump(exclude=_PAGING), user_site=user.site_id)
    page = search_events(
        session=session, filters=filters, size=query.limit, after=query.cursor or None
    )
    if user.role in (Role.OPERATOR, Role.ADMIN):  # the photo route is theirs alone
        with_photo_urls(session=session, items=page.items, page="search")
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/events/export.csv", response_class=StreamingResponse)
def export_events_route(
    request: Request, user: WatchUser, query: Annotated[EventQuery, Query()]
) -> StreamingResponse:
    """Every event matching the filters as CSV, oldest first, streamed (no row cap)."""
    filters = event_filters(**query.model_dump(), user_site=user.site_id)
    chunks = stream_events_csv(
        engine=request.app.state.engine, filters=filters, site_scope=user.site_id
    )
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(utc_now())}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.get("/alarms/search")
def search_alarms_route(
    session: SessionDep, user: WatchUser, query: Annotated[AlarmSearchQuery, Query()]
) -> dict[str, Any]:
    """Alarms matching the filters, newest first, a page at a time (``next_cursor``)."""
    filters = alarm_filters(**query.model_dump(exclude=_PAGING), user_site=user.site_id)
    page = search_alarms(
        session=session, filters=filters, size=query.limit, after=query.cursor or None
    )
    return {"items": page.items, "next_cursor": page.next_cursor}
