"""Dead letters: MQTT messages the ingest refused or could not store, kept raw.

A message that cannot be stored must not block the subscription nor come back for ever
(unacknowledged, the broker redelivers it after each reconnect, and it fails again). It is
kept in ``dead_letter`` with its error, acknowledged, counted in
``portgate_ingest_dead_letters_total{reason}``, and shown to admins at
``GET /api/v1/dead-letters``. Only a database that cannot be reached leaves a message
unacknowledged: then nothing could be kept, and the broker holds it for later.
"""

import logging

from gate_protocol.messages import MAX_PAYLOAD_BYTES
from gate_protocol.text import escape_control_characters
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlmodel import Session

from central_api.metrics import INGEST_DEAD_LETTERS_TOTAL
from central_api.models import DeadLetter

__all__ = ["count_dead_letters", "dead_letter", "describe_error", "keep_store_failure"]

logger = logging.getLogger(__name__)
_MAX_TOPIC = 512
_MAX_ERROR = 1000


def dead_letter(*, topic: str, payload: bytes, reason: str, error: str) -> DeadLetter:
    """The row for one message (payload cut at the largest a message may be)."""
    return DeadLetter(
        topic=escape_control_characters(topic)[:_MAX_TOPIC],
        payload=payload[: MAX_PAYLOAD_BYTES + 1],
        reason=reason[:32],
        error=escape_control_characters(error)[:_MAX_ERROR],
    )


def count_dead_letters(reasons: list[str]) -> None:
    """Count dead letters once they are committed."""
    for reason in reasons:
        INGEST_DEAD_LETTERS_TOTAL.labels(reason=reason).inc()


def describe_error(exc: BaseException) -> str:
    """What went wrong storing, without the statement and its parameters."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    return f"{type(cause).__name__}: {cause}"


def _database_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | DisconnectionError)


def keep_store_failure(*, engine: Engine, topic: str, payload: bytes, exc: Exception) -> bool:
    """Keep a message that failed to store as a dead letter; True if it was kept.

    False when the database itself failed (unreachable, or the dead letter could not be
    written either): the caller leaves the message to the broker.
    """
    if _database_unreachable(exc):
        return False
    row = dead_letter(topic=topic, payload=payload, reason="store_error", error=describe_error(exc))
    try:
        with Session(engine) as session:
            session.add(row)
            session.commit()
    except Exception:
        logger.exception("a message on %s could not be kept as a dead letter", topic[:200])
        return False
    count_dead_letters(["store_error"])
    return True
