import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from firmware_bridge.config import GpioConfig, GpioLanePins
from firmware_bridge.drivers.base import DriverError, DriverEvent, InputEvent, InputKind
from firmware_bridge.drivers.gpio import GpioTurnstile


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory()
    yield f
    f.reset()


def wait(events: list[DriverEvent], count: int) -> list[DriverEvent]:
    deadline = time.monotonic() + 2
    while len(events) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return events


def test_relay_pulse_and_inputs(factory: MockFactory) -> None:
    config = GpioConfig(
        lanes=[GpioLanePins(lane=0, relay_pin=17, door_pin=27, passage_pin=22)],
        tamper_pin=23,
        bounce_s=0,
    )
    driver = GpioTurnstile(config=config, pin_factory=factory)
    events: list[DriverEvent] = []
    driver.start(events.append)
    try:
        relay = factory.pin(17)
        assert relay.state is False or relay.state == 0
        driver.set_unlocked(lane=0, unlocked=True)
        assert relay.state and driver.is_unlocked(0)
        driver.set_unlocked(lane=0, unlocked=False)
        assert not relay.state
        # Inputs are switches to ground (pull-up): low = active.
        factory.pin(27).drive_low()
        factory.pin(22).drive_low()
        factory.pin(22).drive_high()
        factory.pin(27).drive_high()
        factory.pin(23).drive_low()
        assert wait(events, 4) == [
            InputEvent(InputKind.DOOR_OPENED, lane=0),
            InputEvent(InputKind.PASSAGE, lane=0),
            InputEvent(InputKind.DOOR_CLOSED, lane=0),
            InputEvent(InputKind.TAMPER_ON),
        ]
        with pytest.raises(DriverError):
            driver.set_unlocked(lane=5, unlocked=True)
    finally:
        driver.close()


def test_active_low_relay(factory: MockFactory) -> None:
    config = GpioConfig(lanes=[GpioLanePins(lane=0, relay_pin=5)], relay_active_high=False)
    driver = GpioTurnstile(config=config, pin_factory=factory)
    driver.start(lambda event: None)
    try:
        assert factory.pin(5).state  # inactive = high for an active-low relay board
        driver.set_unlocked(lane=0, unlocked=True)
        assert not factory.pin(5).state
    finally:
        driver.close()
