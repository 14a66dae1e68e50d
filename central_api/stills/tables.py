"""The sealed camera stills, one per alarm (revision 0037)."""

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import time_field

__all__ = ["AlarmStill"]


class AlarmStill(SQLModel, table=True):
    """The JPEG an agent took at an alarm, sealed; the alarm row may come before or after it."""

    __tablename__ = "alarm_still"

    alarm_id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(index=True, max_length=64)
    gate_id: str = Field(max_length=64)
    lane: int | None = None
    taken_at: datetime = time_field()
    received_at: datetime = time_field(default_factory=utc_now)
    expires_at: datetime = time_field(index=True)
    size: int
    nonce: bytes = Field(sa_type=LargeBinary)
    ciphertext: bytes = Field(sa_type=LargeBinary)
