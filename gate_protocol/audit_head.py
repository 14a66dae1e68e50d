"""The audit chain head the API publishes outside its database (`AuditHeadTopic`)."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from gate_protocol.message_base import MessageBase

__all__ = ["AuditHead"]


class AuditHead(MessageBase):
    """The audit chain's head at `at`: its last seq and that row's hash (API, retained).

    Published outside the database (retained MQTT message, append-only file) so that a
    chain rewritten whole inside the database no longer matches what was published.
    """

    kind: Literal["audit_head"] = "audit_head"
    seq: Annotated[int, Field(ge=0)]
    hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    at: AwareDatetime
