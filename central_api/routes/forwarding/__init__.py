"""Alarm webhooks' dead letters (site-wide admins): list them, replay one (docs/siem.md)."""

import os
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlmodel import col, select

from central_api.deps import SessionDep
from central_api.forwarding.tables import WebhookDeadLetter, WebhookDeadLetterPublic
from central_api.forwarding.webhook_worker import replay_dead_letter
from central_api.forwarding.webhooks import WebhookError, webhook_target
from central_api.security.auth import AdminUser, check_site_wide

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/webhooks/dead-letters", tags=["forwarding"])


@router.get("", response_model=list[WebhookDeadLetterPublic])
def webhook_dead_letters(
    session: SessionDep, admin: AdminUser, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[WebhookDeadLetterPublic]:
    """Alarms the webhook refused after every retry, newest first."""
    check_site_wide(admin)
    rows = session.exec(
        select(WebhookDeadLetter).order_by(col(WebhookDeadLetter.id).desc()).limit(limit)
    ).all()
    return [WebhookDeadLetterPublic.model_validate(row, from_attributes=True) for row in rows]


@router.post("/{dead_letter_id}/replay", status_code=204)
def replay_webhook_dead_letter(
    session: SessionDep, admin: AdminUser, dead_letter_id: Annotated[int, Path(ge=1)]
) -> None:
    """Send a dead letter once more: 204 and it is gone (audited), or 502 and it stays."""
    check_site_wide(admin)
    target = webhook_target(os.environ)
    if target is None:
        raise HTTPException(409, "no webhook is configured (PORTGATE_WEBHOOK_URL)")
    dead = session.get(WebhookDeadLetter, dead_letter_id)
    if dead is None:
        raise HTTPException(404, f"no webhook dead letter {dead_letter_id}")
    try:
        replay_dead_letter(session, dead, target, actor=admin.actor)
    except WebhookError as exc:
        raise HTTPException(502, f"the webhook still refuses: {exc}") from None
