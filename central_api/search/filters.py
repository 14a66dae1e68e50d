"""What a search asks for, checked once for the API, the dashboard and the CLI alike.

Everything arrives as text (query strings, form fields, CLI options); an empty value means
"any". A bad value is one `InvalidError` that names the field and the value; a site-bound
user naming another site is a `ForbiddenError`. Times are ISO 8601 with a time zone;
``from`` is inclusive and ``to`` exclusive.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from gate_protocol.ids import is_id
from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision
from gate_protocol.reasons import ReasonCode
from gate_protocol.text import refuse_unsafe_name

from central_api.errors import ForbiddenError, InvalidError

__all__ = [
    "MAX_PAGE_SIZE",
    "AlarmFilters",
    "AlarmState",
    "EventFilters",
    "TimeRange",
    "alarm_filters",
    "check_page_size",
    "event_filters",
    "parse_time",
]

MAX_PAGE_SIZE = 500
MAX_TEXT = 120
E = TypeVar("E", bound=StrEnum)


class AlarmState(StrEnum):
    """Whether an operator has acknowledged the alarm yet."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True, slots=True)
class TimeRange:
    """From (inclusive) to (exclusive); either end may be open."""

    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class EventFilters:
    """Access events matching every filter that is set."""

    time: TimeRange = TimeRange()
    site: str | None = None
    gate: str | None = None
    zone: str | None = None
    reason: ReasonCode | None = None
    decision: Decision | None = None
    person: str | None = None
    company: str | None = None
    credential_kind: CredentialKind | None = None
    decided_by: DecidedBy | None = None


@dataclass(frozen=True, slots=True)
class AlarmFilters:
    """Alarms matching every filter that is set."""

    time: TimeRange = TimeRange()
    site: str | None = None
    gate: str | None = None
    kind: AlarmKind | None = None
    state: AlarmState | None = None


def _blank(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time with a time zone (``2026-11-22T08:00:00Z``), or None when empty."""
    text = _blank(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidError(f"{name} '{text[:40]}' is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise InvalidError(f"{name} must carry a time zone (e.g. {text[:19]}Z)")
    return parsed


def _time_range(since: str | None, until: str | None) -> TimeRange:
    start, end = parse_time(since, "from"), parse_time(until, "to")
    if start is not None and end is not None and start > end:
        raise InvalidError(f"from ({start.isoformat()}) is after to ({end.isoformat()})")
    return TimeRange(since=start, until=end)


def _member(enum: type[E], value: str | None, name: str) -> E | None:
    text = _blank(value)
    if text is None:
        return None
    try:
        return enum(text)
    except ValueError:
        known = ", ".join(member.value for member in enum)
        raise InvalidError(f"unknown {name} '{text[:64]}' (known: {known})") from None


def _id(value: str | None, name: str) -> str | None:
    text = _blank(value)
    if text is not None and not is_id(text):
        raise InvalidError(f"{name} '{text[:64]}' is not an id (letters, digits, . _ : -)")
    return text


def _text(value: str | None, name: str) -> str | None:
    text = _blank(value)
    if text is None:
        return None
    if len(text) > MAX_TEXT:
        raise InvalidError(f"{name} is over {MAX_TEXT} characters")
    try:
        return refuse_unsafe_name(text)
    except ValueError as exc:
        raise InvalidError(f"{name}: {exc}") from None


def _site(value: str | None, user_site: str | None) -> str | None:
    site = _id(value, "site")
    if user_site is not None and site is not None and site != user_site:
        raise ForbiddenError(f"you see site {user_site} only, not {site}")
    return site


def event_filters(
    *,
    since: str | None = None,
    until: str | None = None,
    site: str | None = None,
    gate: str | None = None,
    zone: str | None = None,
    reason: str | None = None,
    decision: str | None = None,
    person: str | None = None,
    company: str | None = None,
    credential_kind: str | None = None,
    decided_by: str | None = None,
    user_site: str | None = None,
) -> EventFilters:
    """The event filters these texts ask for; `user_site` is the caller's own site, if any.

    Raises:
        InvalidError: A value is malformed or unknown, or from is after to.
        ForbiddenError: A site-bound caller names another site.
    """
    return EventFilters(
        time=_time_range(since, until),
        site=_site(site, user_site),
        gate=_id(gate, "gate"),
        zone=_id(zone, "zone"),
        reason=_member(ReasonCode, reason, "reason"),
        decision=_member(Decision, decision, "decision"),
        person=_text(person, "person"),
        company=_text(company, "company"),
        credential_kind=_member(CredentialKind, credential_kind, "credential kind"),
        decided_by=_member(DecidedBy, decided_by, "decided_by"),
    )


def alarm_filters(
    *,
    since: str | None = None,
    until: str | None = None,
    site: str | None = None,
    gate: str | None = None,
    kind: str | None = None,
    state: str | None = None,
    user_site: str | None = None,
) -> AlarmFilters:
    """The alarm filters these texts ask for (see `event_filters`)."""
    return AlarmFilters(
        time=_time_range(since, until),
        site=_site(site, user_site),
        gate=_id(gate, "gate"),
        kind=_member(AlarmKind, kind, "alarm kind"),
        state=_member(AlarmState, state, "state"),
    )


def check_page_size(size: int) -> int:
    """`size` when it is 1 to `MAX_PAGE_SIZE`.

    Raises:
        InvalidError: It is not.
    """
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidError(f"page size {size} is out of range (1 to {MAX_PAGE_SIZE})")
    return size
