"""`/healthz` (anonymous) and `/metrics` (Prometheus; bearer token or an admin)."""

import hmac
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from central_api.deps import SessionDep, SettingsDep
from central_api.metrics import UnacknowledgedAlarms, exposition
from central_api.models import Alarm, Role
from central_api.security.auth import UserPrincipal, check_site_wide, require_role

__all__ = ["MetricsAccess", "router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Liveness and whether the database and the broker answer."""

    status: str
    database: bool
    mqtt: bool | None


@router.get("/healthz", response_model=Health)
def healthz(request: Request, session: SessionDep) -> Health:
    """Anonymous health check (no data beyond up/down)."""
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        database = True
    except Exception:  # health must answer even when the database does not
        database = False
    bus = request.app.state.bus
    mqtt = bus.connected if request.app.state.settings.mqtt_url else None
    return Health(status="ok" if database else "degraded", database=database, mqtt=mqtt)


class MetricsAccess:
    """Dependency: the scraper's bearer token (PORTGATE_METRICS_TOKEN), else an admin login."""

    roles = frozenset({Role.ADMIN})

    def __init__(self) -> None:
        self._admin = require_role(Role.ADMIN)

    def __call__(self, request: Request, settings: SettingsDep, session: SessionDep) -> str:
        """Admit the token or an admin; raise 401/403 otherwise."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        expected = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        if expected and scheme.lower() == "bearer" and hmac.compare_digest(token, expected):
            return "metrics-token"
        principal: UserPrincipal = self._admin(
            request, session, settings, token if scheme.lower() == "bearer" else None
        )
        # The metrics are the whole process's, every site's: a site admin may not read them.
        check_site_wide(principal)
        return principal.actor


@router.get("/metrics", response_class=Response)
def metrics(caller: Annotated[str, Depends(MetricsAccess())], session: SessionDep) -> Response:
    """Prometheus text exposition, with the open alarms read from the database now."""
    if not caller:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED)
    return Response(exposition(_open_alarms(session)), media_type=CONTENT_TYPE_LATEST)


def _open_alarms(session: Session) -> UnacknowledgedAlarms:
    """Per site, the alarms not acknowledged yet: how many and the oldest's age."""
    rows = session.exec(
        select(Alarm.site_id, func.count(), func.min(Alarm.raised_at))
        .where(col(Alarm.acknowledged_at).is_(None))
        .group_by(col(Alarm.site_id))
    ).all()
    now = datetime.now(UTC)
    return UnacknowledgedAlarms(
        [(site, int(count), (now - oldest).total_seconds()) for site, count, oldest in rows]
    )
