"""Thresholds of the insider-pattern checks: code defaults, overridden per site.

A site's overrides live in ``site.insider_rules`` (JSON: only the fields it changes) and
are set by an admin through ``PUT /api/v1/sites/{site}/insider-rules`` (audited: loosening
them is itself something an auditor looks for). The defaults below are documented in
docs/api.md.
"""

import logging
from datetime import timedelta
from typing import Annotated, Any

from gate_protocol.ids import ID_CHARACTERS, MAX_ID_LENGTH
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlmodel import Session

from central_api.models import Site

__all__ = ["InsiderRules", "InsiderRulesUpdate", "apply_overrides", "site_rules", "travel_key"]

logger = logging.getLogger(__name__)

_GATE_ID = rf"[{ID_CHARACTERS}]{{1,{MAX_ID_LENGTH}}}"
_GATE_PAIR = rf"^{_GATE_ID}\|{_GATE_ID}$"
GatePair = Annotated[str, StringConstraints(pattern=_GATE_PAIR)]
TravelSeconds = Annotated[int, Field(ge=0, le=86_400)]
# An hour of the site's local clock (0-23); the odd-hours band runs from start to end.
Hour = Annotated[int, Field(ge=0, le=23)]


def travel_key(gate_a: str, gate_b: str) -> str:
    """The key of a gate pair in `travel_times_s` (``a|b``, the two ids sorted)."""
    first, second = sorted((gate_a, gate_b))
    return f"{first}|{second}"


class InsiderRules(BaseModel):
    """Thresholds of the insider-pattern checks (each field: its default and meaning)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    denials: int = Field(
        default=5, ge=2, le=1000, description="N: denials for one person or gate that alarm."
    )
    denial_window_minutes: int = Field(
        default=10, ge=1, le=1440, description="M: the window those N denials fall in."
    )
    max_speed_mps: float = Field(
        default=15.0,
        gt=0,
        le=400,
        description="Fastest plausible travel between gates with coordinates (a truck on "
        "terminal roads).",
    )
    travel_times_s: dict[GatePair, TravelSeconds] = Field(
        default_factory=dict,
        max_length=10_000,
        description="Minimum seconds between two gates, by 'gate-a|gate-b' (either order); "
        "wins over the speed rule, and needs no coordinates.",
    )
    travel_window_minutes: int = Field(
        default=120, ge=1, le=1440, description="How far apart in time two uses are compared."
    )
    open_rate_factor: float = Field(
        default=5.0,
        ge=1,
        le=1000,
        description="Remote opens in an hour above this many times the operator's usual "
        "hourly rate (30 days) alarm...",
    )
    open_rate_floor: int = Field(
        default=5, ge=1, le=1000, description="...and above at least this many in the hour."
    )

    plate_drivers_per_day: int = Field(
        default=3,
        ge=2,
        le=1000,
        description="This many different drivers booked on one plate in one (site-local) "
        "day alarm.",
    )
    driver_companies: int = Field(
        default=3,
        ge=2,
        le=1000,
        description="One driver booked for this many different haulier companies...",
    )
    driver_companies_window_days: int = Field(
        default=7, ge=1, le=366, description="...within this many days alarm."
    )
    pass_reuse_per_company: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="This many `pass_already_used` denials of one company's drivers...",
    )
    pass_reuse_window_hours: int = Field(
        default=24, ge=1, le=8784, description="...within this many hours alarm."
    )
    odd_hours_start: Hour = Field(
        default=0,
        description="Appointments created from this local hour (inclusive)...",
    )
    odd_hours_end: Hour = Field(
        default=5,
        description="...to this local hour (exclusive; may wrap past midnight; equal to the "
        "start: never) alarm.",
    )
    open_after_denial_minutes: int = Field(
        default=5,
        ge=1,
        le=1440,
        description="A remote open of a lane this soon after a person was denied there alarms.",
    )
    overrides_per_person: int = Field(
        default=3,
        ge=2,
        le=1000,
        description="One operator remote-opening this many times after the same person's "
        "denials...",
    )
    override_window_days: int = Field(
        default=7, ge=1, le=366, description="...within this many days alarm."
    )

    @property
    def denial_window(self) -> timedelta:
        """M as a duration."""
        return timedelta(minutes=self.denial_window_minutes)

    @property
    def travel_window(self) -> timedelta:
        """The travel comparison window as a duration."""
        return timedelta(minutes=self.travel_window_minutes)

    def min_travel_s(self, gate_a: str, gate_b: str) -> int | None:
        """The configured minimum travel time between two gates, if any."""
        if not self.travel_times_s:
            return None
        return {travel_key(*k.split("|", 1)): v for k, v in self.travel_times_s.items()}.get(
            travel_key(gate_a, gate_b)
        )

    def is_odd_hour(self, hour: int) -> bool:
        """Whether a local hour falls in the odd-hours band (which may wrap past midnight)."""
        start, end = self.odd_hours_start, self.odd_hours_end
        if start <= end:
            return start <= hour < end
        return hour >= start or hour < end


class InsiderRulesUpdate(BaseModel):
    """A site's overrides: every field optional; an absent field keeps the default."""

    model_config = ConfigDict(extra="forbid")

    denials: int | None = Field(default=None, ge=2, le=1000)
    denial_window_minutes: int | None = Field(default=None, ge=1, le=1440)
    max_speed_mps: float | None = Field(default=None, gt=0, le=400)
    travel_times_s: dict[GatePair, TravelSeconds] | None = Field(default=None, max_length=10_000)
    travel_window_minutes: int | None = Field(default=None, ge=1, le=1440)
    open_rate_factor: float | None = Field(default=None, ge=1, le=1000)
    open_rate_floor: int | None = Field(default=None, ge=1, le=1000)
    plate_drivers_per_day: int | None = Field(default=None, ge=2, le=1000)
    driver_companies: int | None = Field(default=None, ge=2, le=1000)
    driver_companies_window_days: int | None = Field(default=None, ge=1, le=366)
    pass_reuse_per_company: int | None = Field(default=None, ge=1, le=1000)
    pass_reuse_window_hours: int | None = Field(default=None, ge=1, le=8784)
    odd_hours_start: Hour | None = None
    odd_hours_end: Hour | None = None
    open_after_denial_minutes: int | None = Field(default=None, ge=1, le=1440)
    overrides_per_person: int | None = Field(default=None, ge=2, le=1000)
    override_window_days: int | None = Field(default=None, ge=1, le=366)


def apply_overrides(base: InsiderRules, overrides: dict[str, Any] | None) -> InsiderRules:
    """`base` with a site's stored overrides (a malformed stored value keeps `base`)."""
    if not overrides:
        return base
    try:
        return InsiderRules.model_validate(base.model_dump() | overrides)
    except ValidationError:
        logger.warning("stored insider-rule overrides do not validate; using the defaults")
        return base


def site_rules(*, session: Session, site_id: str, base: InsiderRules) -> InsiderRules:
    """The rules in force at `site_id`: `base` (the code defaults) with the site's overrides."""
    site = session.get(Site, site_id)
    return apply_overrides(base, site.insider_rules if site is not None else None)
