"""The dashboard's read API: snapshot, event history, tiles, alarms, muster, charts, stream."""

import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response, StreamingResponse

from central_api.dashboard.charts import MAX_HOURS, chart_data
from central_api.dashboard.csv_export import render_csv
from central_api.dashboard.hub import LiveItem
from central_api.dashboard.muster import load_muster, muster_rows
from central_api.dashboard.queries import (
    count_open_alarms,
    list_event_views,
    list_open_alarm_views,
    list_pending_open_requests,
    list_sites,
)
from central_api.dashboard.state import LiveDep
from central_api.db import utc_now
from central_api.deps import SessionDep
from central_api.models import Role
from central_api.routes.params import IdQuery
from central_api.security.auth import OperatorUser, UserPrincipal
from central_api.security.pages import StreamRoleRequirement
from central_api.web.layout import SECURITY_HEADERS

__all__ = ["HEARTBEAT_S", "MAX_STREAM_S", "router"]

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/dashboard/api", tags=["dashboard"])
HEARTBEAT_S = 15.0
# Streams end after this long and the browser reconnects (and reloads a snapshot): a
# server shutting down waits for open responses, so none may last for hours.
MAX_STREAM_S = 120.0
StreamOperator = Annotated[UserPrincipal, Depends(StreamRoleRequirement(Role.OPERATOR))]


@router.get("/snapshot")
def snapshot(session: SessionDep, live: LiveDep, user: OperatorUser) -> dict[str, Any]:
    """Everything the page shows at load: who, sites, tiles, recent events, open alarms."""
    live.refresh_board(session)
    return {
        "user": {"username": user.username, "role": str(user.role), "site_id": user.site_id},
        "sites": list_sites(session=session),
        "gates": live.board.tiles(site_id=user.site_id),
        "events": list_event_views(session=session, limit=100),
        "alarms": list_open_alarm_views(session=session),
        "unacknowledged": count_open_alarms(session=session),
        "open_requests": list_pending_open_requests(
            session=session, now=utc_now(), site_id=user.site_id
        ),
    }


@router.get("/events")
def events(
    session: SessionDep,
    user: OperatorUser,
    gate_id: IdQuery = None,
    decision: Annotated[str | None, Query(pattern=r"^(granted|denied)?$")] = None,
    person: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Stored events, newest first, filtered by gate, decision and person (id or name)."""
    return list_event_views(
        session=session,
        gate_id=gate_id or None,
        decision=decision or None,
        person=(person or "").strip() or None,
        limit=limit,
    )


@router.get("/gates")
def gates(session: SessionDep, live: LiveDep, user: OperatorUser) -> list[dict[str, Any]]:
    """The gate tiles of the user's site (every site: site-wide) as this process knows them."""
    live.refresh_board(session)
    return live.board.tiles(site_id=user.site_id)


@router.get("/alarms")
def alarms(session: SessionDep, user: OperatorUser) -> dict[str, Any]:
    """Open alarms and how many there are; pending remote opens and threat levels too."""
    return {
        "alarms": list_open_alarm_views(session=session),
        "unacknowledged": count_open_alarms(session=session),
        "open_requests": list_pending_open_requests(
            session=session, now=utc_now(), site_id=user.site_id
        ),
        "sites": list_sites(session=session),
    }


@router.get("/muster")
def muster(
    session: SessionDep, user: OperatorUser, site_id: IdQuery = None
) -> list[dict[str, Any]]:
    """Who is on site now, by zone."""
    entries = load_muster(session=session, now=utc_now(), site_id=site_id or None)
    return [entry.as_json() for entry in entries]


@router.get("/muster.csv", response_class=Response)
def muster_csv(session: SessionDep, user: OperatorUser, site_id: IdQuery = None) -> Response:
    """The muster list as CSV (formula-looking cells are defused)."""
    now = utc_now()
    entries = load_muster(session=session, now=now, site_id=site_id or None)
    return Response(
        render_csv(muster_rows(entries)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="muster-{now:%Y%m%dT%H%M%SZ}.csv"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.get("/charts")
def charts(
    session: SessionDep,
    user: OperatorUser,
    hours: Annotated[int, Query(ge=1, le=MAX_HOURS)] = MAX_HOURS,
) -> dict[str, Any]:
    """Events per gate per minute and denials by reason over the last `hours` hours."""
    return chart_data(session=session, now=utc_now(), hours=hours)


@router.get("/stream", response_class=StreamingResponse)
async def stream(request: Request, live: LiveDep, user: StreamOperator) -> StreamingResponse:
    """Server-Sent Events: ``event``, ``alarm``, ``gate``, ``alarm_ack``, ``threat``, ``open``.

    A site-bound user's stream carries their own site's items only; a site-wide admin's,
    every site's.
    """
    try:
        sub = live.hub.subscribe(site_id=user.site_id)
    except OverflowError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None

    async def frames() -> AsyncIterator[str]:
        ends_at = time.monotonic() + MAX_STREAM_S
        try:
            yield "retry: 1000\n" + LiveItem.of("hello", {"user": user.username}).to_sse()
            while time.monotonic() < ends_at:
                item = await sub.next_item(HEARTBEAT_S)
                if sub.dropped:
                    return  # fell behind: the browser reconnects and reloads a snapshot
                if item is None:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                yield item.to_sse()
        finally:
            live.hub.unsubscribe(sub)

    headers = dict(SECURITY_HEADERS) | {"X-Accel-Buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)
