"""Inclusive days in a site's time zone, and the instants the database keeps for them.

The page says "until 2027-12-31" and means through that day where the site is; the
database keeps the first instant after it (``valid_until`` is exclusive: gates deny from
``now >= valid_until``), 2028-01-01 00:00 in the site's zone. Showing the stored instant's
date is what made 2027-12-31 read "until 2028-01-01": `last_day` steps back one
microsecond before taking the date, so stored ends from any source (an exclusive midnight,
or a CLI's 23:59:59) show the last day they admit.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field
from sqlmodel import Session

from central_api.errors import InvalidError
from central_api.models import Site

__all__ = [
    "DeskDay",
    "check_days",
    "day_start",
    "first_day",
    "last_day",
    "site_zone",
    "until_instant",
]

_TICK = timedelta(microseconds=1)
# A day the page may send: far enough from the calendar's ends that a day's start in any
# zone, and the day after, are still datetimes.
DeskDay = Annotated[date, Field(ge=date(1970, 1, 1), le=date(9998, 12, 31))]


def site_zone(session: Session, site_id: str) -> ZoneInfo:
    """The site's time zone (UTC where the site has an unknown one)."""
    site = session.get(Site, site_id)
    try:
        return ZoneInfo(site.timezone if site is not None else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC (as every stored time)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def until_instant(day: date, zone: ZoneInfo) -> datetime:
    """The exclusive end that admits all of `day` in `zone`: the next day's first instant."""
    return day_start(day + timedelta(days=1), zone)


def first_day(valid_from: datetime | None, zone: ZoneInfo) -> date | None:
    """The day in `zone` a stored start falls on."""
    return None if valid_from is None else valid_from.astimezone(zone).date()


def last_day(valid_until: datetime | None, zone: ZoneInfo) -> date | None:
    """The last day in `zone` that a stored exclusive end still admits."""
    return None if valid_until is None else (valid_until - _TICK).astimezone(zone).date()


def check_days(valid_from: date | None, valid_until: date | None) -> None:
    """Refuse a window whose last day comes before its first.

    Raises:
        InvalidError: The end is before the start.
    """
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise InvalidError(
            f"the validity cannot end ({valid_until}) before it starts ({valid_from})"
        )
