"""What every MQTT message model shares: schema version, message id, frozen and strict."""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gate_protocol.ids import Id

__all__ = ["MessageBase", "new_id"]


def new_id() -> str:
    """A fresh random id (uuid4, 32 hex characters)."""
    return uuid.uuid4().hex


class MessageBase(BaseModel):
    """The base of every message in `gate_protocol.messages`'s union."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    message_id: Id = Field(default_factory=new_id)
