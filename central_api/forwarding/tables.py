"""The forwarding cursor and the webhooks' dead letters (migration 0027)."""

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import time_field

__all__ = ["ForwardCursor", "WebhookDeadLetter", "WebhookDeadLetterPublic"]


class ForwardCursor(SQLModel, table=True):
    """Rows of `kind` with an id up to `last_id` reached `target` (``host:port``)."""

    __tablename__ = "forward_cursor"

    kind: str = Field(primary_key=True, max_length=16)
    target: str = Field(primary_key=True, max_length=300)
    last_id: int = 0
    updated_at: datetime = time_field(default_factory=utc_now)


class WebhookDeadLetter(SQLModel, table=True):
    """An alarm a webhook could not take after every retry, kept for an admin to replay."""

    __tablename__ = "webhook_dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    alarm_id: str = Field(max_length=64)
    url: str = Field(max_length=2000)
    body: str = Field(sa_type=Text)
    attempts: int
    error: str = Field(max_length=1000)
    failed_at: datetime = time_field(default_factory=utc_now)


class WebhookDeadLetterPublic(SQLModel):
    """A dead letter as an admin reads it."""

    id: int
    alarm_id: str
    url: str
    body: str
    attempts: int
    error: str
    failed_at: datetime
