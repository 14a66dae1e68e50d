"""MQTT messages the ingest could not store, kept raw with their error for an admin."""

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import time_field

__all__ = ["DeadLetter", "DeadLetterPublic"]


class DeadLetter(SQLModel, table=True):
    """One message the ingest refused or failed to store, acknowledged and kept here."""

    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = time_field(default_factory=utc_now, index=True)
    topic: str = Field(max_length=512)
    payload: bytes = Field(sa_type=LargeBinary)
    reason: str = Field(max_length=32)
    error: str = Field(max_length=1000)


class DeadLetterPublic(SQLModel):
    """A dead letter as an admin reads it (the payload as text, undecodable bytes escaped)."""

    id: int
    received_at: datetime
    topic: str
    reason: str
    error: str
    payload: str
