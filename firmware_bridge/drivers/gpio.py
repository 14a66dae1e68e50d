"""Lock relays and contact inputs on GPIO pins through gpiozero.

Each lane has a relay output (active = lock released) and optional door contact and
passage sensor inputs; a gate may have a tamper switch. gpiozero calls the input callbacks
on its own thread; they only emit events. The pin factory is injectable so that tests run
with ``gpiozero.pins.mock.MockFactory``.
"""

from typing import Any

from gpiozero import Button, OutputDevice

from firmware_bridge.config import GpioConfig
from firmware_bridge.drivers.base import DriverError, Emit, InputEvent, InputKind

__all__ = ["GpioTurnstile", "NullReader"]


class GpioTurnstile:
    """A TurnstileDriver on GPIO."""

    def __init__(self, *, config: GpioConfig, pin_factory: Any = None) -> None:
        self._config = config
        self._factory = pin_factory
        self._relays: dict[int, Any] = {}
        self._inputs: list[Any] = []
        self.garbage_count = 0

    def start(self, emit: Emit) -> None:
        """Claim the pins and start reporting input changes."""
        cfg = self._config
        for pins in cfg.lanes:
            self._relays[pins.lane] = OutputDevice(
                pins.relay_pin,
                active_high=cfg.relay_active_high,
                initial_value=False,
                pin_factory=self._factory,
            )
            if pins.door_pin is not None:
                self._watch(
                    pins.door_pin,
                    emit,
                    pressed=InputEvent(InputKind.DOOR_OPENED, lane=pins.lane),
                    released=InputEvent(InputKind.DOOR_CLOSED, lane=pins.lane),
                )
            if pins.passage_pin is not None:
                self._watch(
                    pins.passage_pin,
                    emit,
                    pressed=InputEvent(InputKind.PASSAGE, lane=pins.lane),
                    released=None,
                )
        if cfg.tamper_pin is not None:
            self._watch(
                cfg.tamper_pin,
                emit,
                pressed=InputEvent(InputKind.TAMPER_ON),
                released=InputEvent(InputKind.TAMPER_OFF),
            )

    def _watch(
        self, pin: int, emit: Emit, *, pressed: InputEvent, released: InputEvent | None
    ) -> None:
        bounce = self._config.bounce_s or None
        button = Button(
            pin, pull_up=self._config.inputs_pull_up, bounce_time=bounce, pin_factory=self._factory
        )
        button.when_pressed = lambda: emit(pressed)
        if released is not None:
            button.when_released = lambda: emit(released)
        self._inputs.append(button)

    def set_unlocked(self, *, lane: int, unlocked: bool) -> None:
        """Energise (release) or de-energise (lock) the lane's relay."""
        relay = self._relays.get(lane)
        if relay is None:
            raise DriverError(f"no relay configured for lane {lane}")
        if unlocked:
            relay.on()
        else:
            relay.off()

    def is_unlocked(self, lane: int) -> bool:
        """Whether the lane's relay is active."""
        return bool(self._relays[lane].is_active)

    def close(self) -> None:
        """Release every pin (relays drop to their unpowered position)."""
        for device in [*self._relays.values(), *self._inputs]:
            device.close()
        self._relays.clear()
        self._inputs.clear()


class NullReader:
    """A ReaderDriver for gates without a reader on this bridge (e.g. GPIO-only)."""

    garbage_count = 0

    def start(self, emit: Emit) -> None:
        """No reader, nothing to start."""

    def indicate(self, *, lane: int, granted: bool) -> None:
        """No LEDs to light."""

    def close(self) -> None:
        """Nothing to release."""
