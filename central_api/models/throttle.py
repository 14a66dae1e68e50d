"""The login throttle's entries, shared by every API worker process through the database."""

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

__all__ = ["ThrottleEntry"]


class ThrottleEntry(SQLModel, table=True):
    """One counted failure under one `limits` key (a moving window counts these rows).

    Times are Unix seconds (the `limits` storage interface's unit); a row past
    `expires_at` counts for nothing and is deleted by the next write.
    """

    __tablename__ = "throttle_entry"
    __table_args__ = (Index("ix_throttle_entry_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=512)
    at: float
    expires_at: float = Field(index=True)
