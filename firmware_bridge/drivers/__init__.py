"""Hardware drivers behind two small interfaces (TurnstileDriver, ReaderDriver)."""

from firmware_bridge.drivers.base import (
    CardPresented,
    DriverEvent,
    Emit,
    InputEvent,
    InputKind,
    ReaderDriver,
    TurnstileDriver,
)

__all__ = [
    "CardPresented",
    "DriverEvent",
    "Emit",
    "InputEvent",
    "InputKind",
    "ReaderDriver",
    "TurnstileDriver",
]
