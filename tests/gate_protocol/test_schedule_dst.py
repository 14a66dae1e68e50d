"""Schedules across the DST switches (Europe/Amsterdam, Europe/Stockholm): the decided rule.

Autumn 2026: on Sunday 25 October the clock goes from 03:00 CEST back to 02:00 CET
(01:00 UTC), so 02:00-03:00 local happens twice. Spring 2027: on Sunday 28 March it jumps
from 02:00 CET to 03:00 CEST (01:00 UTC), so 02:00-03:00 local does not exist. An edge
is the first instant the local clock reads it or later (gate_protocol/schedule.py).
"""

from datetime import UTC, date, datetime, time

import pytest

from gate_protocol.schedule import Schedule, WeeklyWindow

EVERY_DAY = frozenset(range(7))


def schedule(zone: str, start: time, end: time, **fields: object) -> Schedule:
    window = WeeklyWindow(weekdays=EVERY_DAY, start=start, end=end)
    return Schedule(schedule_id="s", timezone=zone, windows=(window,), **fields)


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "Europe/Stockholm"])
def test_autumn_the_repeated_hour_closes_at_the_first_pass_and_does_not_reopen(
    zone: str,
) -> None:
    night = schedule(zone, time(1, 30), time(2, 30))
    # Saturday (CEST, UTC+2): 01:30-02:30 local is 23:30-00:30 UTC.
    assert not night.allows(utc(10, 23, 23, 29))
    assert night.allows(utc(10, 23, 23, 30))
    assert not night.allows(utc(10, 24, 0, 30))
    # The switch night: opens at 01:30 CEST, closes at the first 02:30 (CEST, 00:30 UTC).
    assert not night.allows(utc(10, 24, 23, 29))
    assert night.allows(utc(10, 24, 23, 30))
    assert night.allows(utc(10, 25, 0, 29))
    assert not night.allows(utc(10, 25, 0, 30))
    # The second pass of 02:00-02:30 (CET, 01:00-01:30 UTC) is not the window again.
    assert not night.allows(utc(10, 25, 1, 10))
    assert not night.allows(utc(10, 25, 1, 29))
    # Monday (CET, UTC+1): 01:30-02:30 local is 00:30-01:30 UTC.
    assert not night.allows(utc(10, 26, 0, 29))
    assert night.allows(utc(10, 26, 0, 30))
    assert not night.allows(utc(10, 26, 1, 30))


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "Europe/Stockholm"])
def test_autumn_a_window_across_the_repeated_hour_is_an_hour_longer(zone: str) -> None:
    early = schedule(zone, time(2, 30), time(4))
    assert not early.allows(utc(10, 25, 0, 29))  # 02:29 CEST
    assert early.allows(utc(10, 25, 0, 30))  # the first 02:30 (CEST)
    assert early.allows(utc(10, 25, 1, 10))  # 02:10 CET, the hour again: still open
    assert early.allows(utc(10, 25, 2, 59))  # 03:59 CET
    assert not early.allows(utc(10, 25, 3, 0))  # 04:00 CET: 4h30 after it opened


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "Europe/Stockholm"])
def test_spring_an_edge_in_the_missing_hour_takes_effect_at_0300(zone: str) -> None:
    night = schedule(zone, time(1, 30), time(2, 30))
    early = schedule(zone, time(2, 30), time(4))
    # Saturday 27 March 2027 (CET, UTC+1): the plain hours.
    assert night.allows(utc(3, 27, 0, 30, 2027)) and not night.allows(utc(3, 27, 1, 30, 2027))
    assert not early.allows(utc(3, 27, 1, 29, 2027)) and early.allows(utc(3, 27, 1, 30, 2027))
    # The switch night: 01:59:59 CET is followed by 03:00 CEST (01:00 UTC).
    assert night.allows(utc(3, 28, 0, 30, 2027))  # 01:30 CET
    assert night.allows(datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC))  # 01:59:59 CET
    assert not night.allows(utc(3, 28, 1, 0, 2027))  # 03:00 CEST: the 02:30 end has passed
    assert not early.allows(datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC))
    assert early.allows(utc(3, 28, 1, 0, 2027))  # opens at 03:00 CEST, not at 03:30
    assert early.allows(utc(3, 28, 1, 59, 2027))  # 03:59 CEST
    assert not early.allows(utc(3, 28, 2, 0, 2027))  # 04:00 CEST
    # Monday 29 March (CEST, UTC+2): 02:30 local is 00:30 UTC.
    assert not early.allows(utc(3, 29, 0, 29, 2027)) and early.allows(utc(3, 29, 0, 30, 2027))


def test_an_overnight_window_spans_the_switch_on_the_wall_clock() -> None:
    shift = schedule("Europe/Amsterdam", time(22), time(6))
    # Saturday 22:00 CEST (20:00 UTC) to Sunday 06:00 CET (05:00 UTC): 9 hours.
    assert not shift.allows(utc(10, 24, 19, 59))
    assert shift.allows(utc(10, 24, 20, 0))
    assert shift.allows(utc(10, 25, 4, 59))
    assert not shift.allows(utc(10, 25, 5, 0))
    # Saturday 22:00 CET (21:00 UTC) to Sunday 06:00 CEST (04:00 UTC): 7 hours.
    assert shift.allows(utc(3, 27, 21, 0, 2027)) and not shift.allows(utc(3, 27, 20, 59, 2027))
    assert shift.allows(utc(3, 28, 3, 59, 2027)) and not shift.allows(utc(3, 28, 4, 0, 2027))


def test_a_holiday_is_the_local_date() -> None:
    # Sunday 25 October in Amsterdam begins at 22:00 UTC on the 24th (CEST).
    shift = schedule("Europe/Amsterdam", time(0), time(0), holidays=frozenset({date(2026, 10, 25)}))
    assert shift.allows(utc(10, 24, 21, 59))
    assert not shift.allows(utc(10, 24, 22, 0))
    assert not shift.allows(utc(10, 25, 22, 59))  # 23:59 CET, still the 25th locally
    assert shift.allows(utc(10, 25, 23, 0))


@pytest.mark.parametrize("bad", ["Europe/Amsterdm", "UTC+25", "+01:00", "localtime", ""])
def test_a_malformed_zone_is_refused_with_its_name(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        Schedule(schedule_id="s", timezone=bad)
