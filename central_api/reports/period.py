"""A report's period and the operator shifts alarms are grouped by, in the site's zone.

A site's report counts in the site's IANA zone: a date is the local day (from local
midnight to the next, 23 or 25 hours on a DST switch day), an hour of day and a shift
are local ones. A port-wide report counts in UTC (docs/reports.md).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gate_protocol.schedule import check_time_zone, local_edge

__all__ = [
    "DEFAULT_PERIOD",
    "DEFAULT_SHIFTS",
    "LONGEST_PERIOD",
    "Period",
    "ReportInputError",
    "Shifts",
    "local_midnight",
    "parse_moment",
    "parse_shifts",
    "resolve_period",
]

DEFAULT_PERIOD = timedelta(days=30)
LONGEST_PERIOD = timedelta(days=366)


class ReportInputError(ValueError):
    """A report asked for wrongly (unknown name, site or format; a bad period); says what."""


@dataclass(frozen=True, slots=True)
class Period:
    """From (inclusive) to (exclusive), both aware; `zone`: whose local days and hours count."""

    start: datetime
    end: datetime
    zone: str = "UTC"


def local_midnight(day: date, zone: str) -> datetime:
    """When `day` begins in `zone` (UTC; where a switch skips midnight, the jump)."""
    return local_edge(day, time(0), ZoneInfo(zone))


def parse_moment(text: str, *, end: bool, zone: str = "UTC") -> datetime:
    """A date (``2026-11-30``) or an ISO time with a zone; a date as `end` means its day's end.

    A date is the local day in `zone`.

    Raises:
        ReportInputError: neither a date nor a time with a zone.
    """
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return local_midnight(day + timedelta(days=1) if end else day, zone)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReportInputError(
            f"{value!r} is not a date (2026-11-30) or a time (2026-11-30T08:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise ReportInputError(f"{value!r} needs a time zone (e.g. 2026-11-30T08:00:00Z)")
    return moment.astimezone(UTC)


def resolve_period(
    start: str | None, end: str | None, *, now: datetime, zone: str = "UTC"
) -> Period:
    """The period `--from`/`--to` name; default: the 30 days up to `now`.

    A date as `--to` includes that whole day (``--from 2026-11-01 --to 2026-11-30`` is
    November); dates are local days in `zone`, the site's.

    Raises:
        ReportInputError: unreadable, the wrong way round, empty or over 366 days.
    """
    try:
        check_time_zone(zone)
    except ValueError as exc:
        raise ReportInputError(str(exc)) from None
    try:
        stop = parse_moment(end, end=True, zone=zone) if end else now
        begin = parse_moment(start, end=False, zone=zone) if start else stop - DEFAULT_PERIOD
    except OverflowError:  # the last day of year 9999, or a default before year 1
        raise ReportInputError("the period is out of range: give both from and to") from None
    if begin >= stop:
        raise ReportInputError(
            f"the period is the wrong way round: from {begin.isoformat()} is not before "
            f"to {stop.isoformat()}"
        )
    if stop - begin > LONGEST_PERIOD:
        raise ReportInputError("the period is at most 366 days")
    return Period(start=begin, end=stop, zone=zone)


@dataclass(frozen=True, slots=True)
class Shifts:
    """Operator shifts as the local hours they start at, ascending; the last runs past midnight."""

    starts: tuple[int, ...]

    def of(self, moment: datetime, zone: str = "UTC") -> str:
        """The shift `moment` falls in by the clock of `zone`, as ``06-14``."""
        hour = moment.astimezone(ZoneInfo(zone)).hour
        index = max((i for i, s in enumerate(self.starts) if s <= hour), default=-1)
        return self.label(index)

    def label(self, index: int) -> str:
        """The name of shift `index` (-1: the last one, which wraps past midnight)."""
        start = self.starts[index]
        stop = self.starts[(index + 1) % len(self.starts)] if index >= 0 else self.starts[0]
        return f"{start:02d}-{stop:02d}"

    def labels(self) -> list[str]:
        """Every shift's name, in the order of the day."""
        return [self.label(i) for i in range(len(self.starts))]


DEFAULT_SHIFTS = Shifts(starts=(6, 14, 22))


def parse_shifts(text: str) -> Shifts:
    """Shift start hours like ``6,14,22``.

    Raises:
        ReportInputError: not whole hours 0 to 23, ascending, at least one.
    """
    try:
        starts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ReportInputError(f"shifts {text!r}: start hours like 6,14,22") from None
    if not starts or any(not 0 <= h <= 23 for h in starts) or list(starts) != sorted(set(starts)):
        raise ReportInputError(f"shifts {text!r}: ascending start hours 0 to 23, like 6,14,22")
    return Shifts(starts=starts)
