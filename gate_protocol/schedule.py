"""Weekly access schedules with holidays, evaluated in the site's local time zone."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

__all__ = ["Schedule", "WeeklyWindow"]


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

    def covers(self, local: datetime) -> bool:
        """Whether the naive local time `local` falls inside this window."""
        clock, weekday = local.time(), local.weekday()
        if self.start < self.end:
            return weekday in self.weekdays and self.start <= clock < self.end
        if weekday in self.weekdays and clock >= self.start:
            return True
        return (weekday - 1) % 7 in self.weekdays and clock < self.end


class Schedule(BaseModel):
    """When a grant applies: weekly windows, minus holidays unless `holidays_allowed`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule_id: str = Field(min_length=1, max_length=64)
    timezone: str = "UTC"
    windows: tuple[WeeklyWindow, ...] = Field(default=(), max_length=64)
    holidays: frozenset[date] = frozenset()
    holidays_allowed: bool = False

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def allows(self, at: AwareDatetime) -> bool:
        """Whether access is allowed at the instant `at`."""
        local = at.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)
        if local.date() in self.holidays and not self.holidays_allowed:
            return False
        return any(window.covers(local) for window in self.windows)
