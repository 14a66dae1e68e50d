"""Weekly access schedules with holidays, evaluated in the site's local time zone.

Windows and holidays are local: a holiday is a local date, a window's edges are local
clock times. A window on a day is open from the first instant the local clock reads its
start (or later) until the first instant after that it reads its end (or later). Across
a DST switch (tests/gate_protocol/test_schedule_dst.py) that means:

- the hour that repeats (autumn): an edge inside it is its first pass; a window ending
  at 02:30 closes at the first 02:30 and does not open again when the clock goes back;
- the hour that does not exist (spring): an edge inside it takes effect at the first
  instant after the gap, 03:00 local: a window from 02:30 opens at 03:00, a window
  ending at 02:30 closes at 03:00 (the clock jumps from 01:59:59 to 03:00).

A day of a DST switch has 23 or 25 hours, so a window across it is an hour shorter or
longer in elapsed time; windows are about the clock on the wall, not durations.
"""

import difflib
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

__all__ = ["Schedule", "TimeZoneName", "WeeklyWindow", "check_time_zone", "local_edge"]


# Names some hosts' zone folders hold that are no zone of the IANA database.
_HOST_FILES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(value: str) -> str:
    """The IANA time zone name `value`, or ValueError saying what is wrong with it.

    Only names of the IANA database are accepted ("Europe/Amsterdam", "UTC"): not
    offsets ("UTC+25", "+01:00") nor host files ("localtime"), so every machine that
    reads the name (API, agents) means the same zone.
    """
    if value in _known_zones() and value not in _HOST_FILES:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    near = difflib.get_close_matches(value, sorted(_known_zones()), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise ValueError(f"unknown time zone {value!r}: use an IANA name like 'Europe/Amsterdam'{hint}")


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(check_time_zone)]
"""A checked IANA time zone name (`check_time_zone`)."""


class WeeklyWindow(BaseModel):
    """Access on the given weekdays (0 = Monday) from `start` to `end`, local time.

    A window whose end is not after its start runs over midnight into the next day
    (a night shift 22:00-06:00 on Friday also covers Saturday 00:00-06:00).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekdays: frozenset[int] = Field(min_length=1)
    start: time
    end: time

    @field_validator("weekdays")
    @classmethod
    def _check_weekdays(cls, value: frozenset[int]) -> frozenset[int]:
        if not value <= set(range(7)):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return value

    def open_at(self, at: datetime, zone: ZoneInfo) -> bool:
        """Whether the aware instant `at` falls inside this window in `zone`."""
        today = at.astimezone(zone).date()
        # A window that began yesterday may still run (overnight): check both days.
        for day in (today - timedelta(days=1), today):
            if day.weekday() not in self.weekdays:
                continue
            end_day = day if self.start < self.end else day + timedelta(days=1)
            if local_edge(day, self.start, zone) <= at < local_edge(end_day, self.end, zone):
                return True
        return False


def local_edge(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock on `day` reads `clock` or later.

    A repeated clock time (autumn) gives its first pass (fold 0); a clock time in the
    spring gap, which no instant has, gives the instant of the jump.
    """
    naive = datetime.combine(day, clock)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap fold 0 lands after the jump and fold 1 before it; the jump is the first
    # second between them whose local clock is past `naive` (jumps are on whole seconds).
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, UTC)


class Schedule(BaseModel):
    """When a grant applies: weekly windows, minus holidays unless `holidays_allowed`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule_id: str = Field(min_length=1, max_length=64)
    timezone: TimeZoneName = "UTC"
    windows: tuple[WeeklyWindow, ...] = Field(default=(), max_length=64)
    holidays: frozenset[date] = frozenset()
    holidays_allowed: bool = False

    def allows(self, at: AwareDatetime) -> bool:
        """Whether access is allowed at the instant `at`."""
        zone = ZoneInfo(self.timezone)
        if at.astimezone(zone).date() in self.holidays and not self.holidays_allowed:
            return False
        return any(window.open_at(at, zone) for window in self.windows)
