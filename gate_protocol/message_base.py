"""What every MQTT message model shares: its base model and the enums its fields use.

The base gives schema version, message id, frozen and strict; `gate_protocol.messages`
re-exports the enums, so callers import them from there.
"""

import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gate_protocol.ids import Id

__all__ = [
    "AckResult",
    "AlarmKind",
    "BadgeFormat",
    "CredentialKind",
    "DecidedBy",
    "Decision",
    "Direction",
    "DoorState",
    "MessageBase",
    "NodeState",
    "new_id",
]


def new_id() -> str:
    """A fresh random id (uuid4, 32 hex characters)."""
    return uuid.uuid4().hex


class MessageBase(BaseModel):
    """The base of every message in `gate_protocol.messages`'s union."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    message_id: Id = Field(default_factory=new_id)


class Direction(StrEnum):
    """Which way a lane is passed."""

    ENTRY = "entry"
    EXIT = "exit"


class BadgeFormat(StrEnum):
    """How a badge number was read."""

    WIEGAND26 = "wiegand26"
    WIEGAND34 = "wiegand34"
    RAW = "raw"
    KEYPAD = "keypad"


class CredentialKind(StrEnum):
    """The credential a person presented."""

    BADGE = "badge"
    QR_PASS = "qr_pass"  # noqa: S105 (a credential kind, not a password)
    FACE = "face"


class Decision(StrEnum):
    """The outcome of an access decision."""

    GRANTED = "granted"
    DENIED = "denied"


class DecidedBy(StrEnum):
    """Who decided: the central API, or the gate's local replica while the API was away."""

    CENTRAL = "central"
    REPLICA = "replica"


class AckResult(StrEnum):
    """What a bridge did with an OpenCommand."""

    OPENED = "opened"
    EXPIRED = "expired"
    DUPLICATE = "duplicate"
    FAULT = "fault"
    FORGED = "forged"


class AlarmKind(StrEnum):
    """Alarms raised by bridges, agents and the API's insider-pattern checks."""

    FORCED = "forced"
    HELD = "held"
    TAMPER = "tamper"
    READER_OFFLINE = "reader_offline"
    TAILGATING = "tailgating"
    LIVENESS = "liveness"
    WATCHLIST = "watchlist"
    OUTBOX_FULL = "outbox_full"
    INSIDER_PATTERN = "insider_pattern"
    FAULT = "fault"
    FORGED_COMMAND = "forged_command"
    ANTI_PASSBACK = "anti_passback"  # soft anti-passback: passed the same way twice
    COMPANY_FLAGGED = "company_flagged"
    PORT_BAN = "port_ban"


class DoorState(StrEnum):
    """The physical state of a lane's door or turnstile."""

    CLOSED = "closed"
    UNLOCKED = "unlocked"
    OPEN = "open"
    FORCED = "forced"
    HELD = "held"


class NodeState(StrEnum):
    """Whether an edge node is connected."""

    ONLINE = "online"
    OFFLINE = "offline"
