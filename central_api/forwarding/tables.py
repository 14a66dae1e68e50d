"""The forwarding cursor (migration 0027): the last row id sent, per kind and target."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import time_field

__all__ = ["ForwardCursor"]


class ForwardCursor(SQLModel, table=True):
    """Rows of `kind` with an id up to `last_id` reached `target` (``host:port``)."""

    __tablename__ = "forward_cursor"

    kind: str = Field(primary_key=True, max_length=16)
    target: str = Field(primary_key=True, max_length=300)
    last_id: int = 0
    updated_at: datetime = time_field(default_factory=utc_now)
