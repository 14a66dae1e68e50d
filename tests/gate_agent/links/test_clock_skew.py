"""The agent's clock against the API's: tolerated within the bound, corrected and alarmed beyond."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from gate_agent.links.api_client import ApiClient
from gate_agent.links.clock import SkewClock

TRUE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _clock(host_offset_s: float, *, bound_s: float = 30) -> SkewClock:
    return SkewClock(max_skew_s=bound_s, local=lambda: TRUE + timedelta(seconds=host_offset_s))


@pytest.mark.parametrize("host_offset_s", [600, -600])
def test_ten_minutes_off_decides_on_the_api_time_and_alarms_once(host_offset_s: float) -> None:
    clock = _clock(host_offset_s)
    assert clock() == TRUE + timedelta(seconds=host_offset_s)  # nothing measured yet
    clock.observe(server=TRUE, local=clock.local())
    assert clock() == TRUE
    assert clock.offset_s == -host_offset_s
    alarm = clock.take_alarm()
    assert alarm is not None and "600 s" in alarm
    assert ("ahead of" if host_offset_s > 0 else "behind") in alarm
    clock.observe(server=TRUE, local=clock.local())
    assert clock.take_alarm() is None  # once per episode


@pytest.mark.parametrize("host_offset_s", [20, -20])
def test_skew_within_the_bound_is_tolerated_without_alarm(host_offset_s: float) -> None:
    clock = _clock(host_offset_s)
    clock.observe(server=TRUE, local=clock.local())
    assert clock() == clock.local()
    assert clock.take_alarm() is None


def test_a_fixed_clock_goes_back_to_host_time_and_alarms_again_next_time() -> None:
    offset = [600.0]
    clock = SkewClock(max_skew_s=30, local=lambda: TRUE + timedelta(seconds=offset[0]))
    clock.observe(server=TRUE, local=clock.local())
    assert clock.take_alarm() is not None
    offset[0] = 0.0  # NTP set it right
    clock.observe(server=TRUE, local=clock.local())
    assert clock() == TRUE and clock.take_alarm() is None
    offset[0] = -600.0
    clock.observe(server=TRUE, local=clock.local())
    assert clock.take_alarm() is not None


@pytest.mark.parametrize("header", [None, "", "not a date", "Sun, 01 Mar 2026 08:00:00"])
def test_a_missing_or_broken_date_header_changes_nothing(header: str | None) -> None:
    clock = _clock(600)
    clock.observe_header(header)
    assert clock() == clock.local() and clock.take_alarm() is None


def test_every_api_answer_measures_the_clock_from_its_date_header() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, headers={"Date": format_datetime(TRUE, usegmt=True)})

    clock = _clock(-600)
    client = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key="k",
        decision_timeout_s=1,
        transport=httpx.MockTransport(api),
        clock=clock,
    )
    with pytest.raises(Exception):  # noqa: B017 (a 404: what matters is the header)
        client.fetch_replica(None)
    assert abs(clock.offset_s - 600.5) < 1e-6
    assert abs((clock() - TRUE).total_seconds() - 0.5) < 1e-6
