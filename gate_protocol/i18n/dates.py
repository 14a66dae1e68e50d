"""Dates and times as a reader expects them: in the site's time zone, in the user's locale."""

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates

from gate_protocol.i18n.locales import parse_locale

__all__ = ["format_date", "format_datetime"]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name[:60]!r}") from error


def format_datetime(value: datetime, *, zone: str, locale: str, width: str = "medium") -> str:
    """`value` (aware) as a date and time in IANA `zone`, written the way `locale` writes it.

    Raises:
        ValueError: `value` has no time zone (its instant is unknown) or `zone` is unknown.
        UnknownLocaleError: `locale` is not supported.
    """
    if value.tzinfo is None:
        raise ValueError("a time without a time zone cannot be shown in a site's zone")
    return babel_dates.format_datetime(
        value, format=width, tzinfo=_zone(zone), locale=parse_locale(locale)
    )


def format_date(value: date, *, locale: str, width: str = "medium") -> str:
    """A calendar date written the way `locale` writes it (``6 dec. 2026``, ``6. Dez. 2026``)."""
    return babel_dates.format_date(value, format=width, locale=parse_locale(locale))
