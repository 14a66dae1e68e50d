"""The desk's own badge reader: the last read of each desk user, offered to their page briefly.

`portgate desk-reader` reads cards through the bridge's OSDP driver and posts each number
as the desk user it logged in as; the desk page polls for it and fills the focused badge
field. Only the newest read is kept per user, and a read older than `FRESH_S` is not
offered: a card read before the clerk sat down must not fill a field later.
"""

from datetime import datetime, timedelta

from gate_protocol.badges import badge_number_problem
from gate_protocol.ids import Id
from gate_protocol.messages import BadgeFormat
from pydantic import BaseModel, ConfigDict, model_validator
from sqlmodel import Session

from central_api.enroll.tables import DeskRead

__all__ = ["FRESH_S", "DeskReadIn", "DeskReadOut", "last_read", "record_read"]

FRESH_S = 15.0


class DeskReadIn(BaseModel):
    """A badge the desk reader read, as the bridge's card formats decode it."""

    model_config = ConfigDict(extra="forbid")

    number: Id
    badge_format: BadgeFormat | None = None

    @model_validator(mode="after")
    def _a_reader_can_produce_it(self) -> "DeskReadIn":
        problem = badge_number_problem(self.number, self.badge_format)
        if problem is not None:
            raise ValueError(problem)
        return self


class DeskReadOut(BaseModel):
    """The read the page may use now (all None: nothing fresh)."""

    number: str | None = None
    badge_format: BadgeFormat | None = None
    read_at: datetime | None = None


def record_read(*, session: Session, username: str, read: DeskReadIn, now: datetime) -> None:
    """Keep `read` as the user's newest read (the one before is overwritten)."""
    row = session.get(DeskRead, username) or DeskRead(username=username, number=read.number)
    row.number = read.number
    row.badge_format = read.badge_format.value if read.badge_format else None
    row.read_at = now
    session.add(row)
    session.commit()


def last_read(*, session: Session, username: str, now: datetime) -> DeskReadOut:
    """The user's newest read if it is fresh, else an empty answer (a stale read is deleted)."""
    row = session.get(DeskRead, username)
    if row is None:
        return DeskReadOut()
    if now - row.read_at > timedelta(seconds=FRESH_S):
        # A badge number is kept no longer than it is of use (the page polls every second).
        session.delete(row)
        session.commit()
        return DeskReadOut()
    fmt = BadgeFormat(row.badge_format) if row.badge_format else None
    return DeskReadOut(number=row.number, badge_format=fmt, read_at=row.read_at)
