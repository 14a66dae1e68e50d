"""Alarms to the webhook: each after the cursor, retried, then dead-lettered; and replay.

The cursor (kind ``alarm``, target ``webhook:<url>``) moves past an alarm once it was
delivered or kept as a dead letter, so one receiver that is down for good costs each
alarm its retries, never the alarms after it, and loses none: an admin replays the dead
letters (``POST /api/v1/webhooks/dead-letters/{id}/replay``).
"""

from __future__ import annotations

import hashlib
import logging
import threading

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.audit.chain import append_audit
from central_api.db import utc_now
from central_api.forwarding.records import Kind, rows_after
from central_api.forwarding.syslog_format import json_body
from central_api.forwarding.tables import ForwardCursor, WebhookDeadLetter
from central_api.forwarding.webhooks import WebhookError, WebhookTarget, deliver

__all__ = ["WebhookWorker", "replay_dead_letter"]

log = logging.getLogger(__name__)

_BATCH = 50


def _cursor_key(target: WebhookTarget) -> tuple[str, str]:
    # A digest: the URL may be long and may hold the receiver's token.
    return (Kind.ALARM.value, "webhook:" + hashlib.sha256(target.url.encode()).hexdigest())


class WebhookWorker:
    """Sends each new alarm to one webhook on its own thread."""

    def __init__(self, *, engine: Engine, target: WebhookTarget, poll_s: float = 1.0) -> None:
        self._engine = engine
        self._target = target
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def forward_once(self) -> int:
        """Deliver or dead-letter the next batch of alarms; how many were handled."""
        key = _cursor_key(self._target)
        with Session(self._engine) as session:
            cursor = session.get(ForwardCursor, key)
            rows = rows_after(session, Kind.ALARM, cursor.last_id if cursor else 0, _BATCH)
        for row_id, record in rows:
            body = json_body(record)
            dead: WebhookDeadLetter | None = None
            try:
                deliver(self._target, body.encode(), sleep=self._stop.wait)
            except WebhookError as exc:
                log.error(
                    "alarm %s kept as a webhook dead letter: %s", record.fields["alarm_id"], exc
                )
                dead = WebhookDeadLetter(
                    alarm_id=str(record.fields["alarm_id"]),
                    url=self._target.url,
                    body=body,
                    attempts=self._target.attempts,
                    error=str(exc)[:1000],
                )
            with Session(self._engine) as session:
                cursor = session.get(ForwardCursor, key) or ForwardCursor(
                    kind=key[0], target=key[1]
                )
                cursor.last_id = max(cursor.last_id, row_id)
                cursor.updated_at = utc_now()
                session.add(cursor)
                if dead is not None:
                    session.add(dead)
                session.commit()
        return len(rows)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                while self.forward_once() and not self._stop.is_set():
                    pass
            except Exception:  # a database hiccup must not end the webhooks for good
                log.exception("alarm webhooks failed, retry in %.0f s", self._poll_s)
            self._stop.wait(self._poll_s)

    def start(self) -> None:
        """Start the thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="portgate-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (a wait between retries ends at once) and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None


def replay_dead_letter(
    session: Session, dead: WebhookDeadLetter, target: WebhookTarget, *, actor: str
) -> None:
    """Send a dead letter once more; delivered, it is removed (audited), else it stays.

    Raises:
        WebhookError: the webhook still refuses (the dead letter's error and count updated).
    """
    try:
        deliver(target, dead.body.encode(), attempts=1)
    except WebhookError as exc:
        dead.attempts += 1
        dead.error = str(exc)[:1000]
        dead.failed_at = utc_now()
        session.add(dead)
        session.commit()
        raise
    append_audit(
        session=session,
        actor=actor,
        action="webhook.replay",
        target=f"alarm:{dead.alarm_id}",
        after={"url": dead.url},
    )
    session.delete(dead)
    session.commit()
