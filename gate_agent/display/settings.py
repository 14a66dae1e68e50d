"""The ``display`` section of the agent config: where the lane screens are served, and how."""

from __future__ import annotations

from gate_protocol.schedule import TimeZoneName
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TOKEN_ENV_PREFIX", "DisplayConfig", "token_env"]

# One token per lane, never in the file: PORTGATE_LANE_TOKEN_0, PORTGATE_LANE_TOKEN_1, ...
TOKEN_ENV_PREFIX = "PORTGATE_LANE_TOKEN_"  # noqa: S105 (a variable name, not a token)


def token_env(lane: int) -> str:
    """The environment variable that holds the display token of `lane`."""
    return f"{TOKEN_ENV_PREFIX}{lane}"


class DisplayConfig(BaseModel):
    """The lane displays (docs/agent.md "Lane display"); off unless a port is set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", description="Address the lane pages listen on")
    port: int | None = Field(
        default=None, ge=0, le=65535, description="Port of the lane pages; none: not served"
    )
    lanes: tuple[int, ...] = Field(
        default=(),
        max_length=64,
        description="Lanes that have a screen, each with its token in PORTGATE_LANE_TOKEN_<lane>; "
        "empty: every lane of the gate",
    )
    sound: bool = Field(default=False, description="A short tone on a grant and a denial")
    time_zone: TimeZoneName = Field(
        default="UTC", description="The site's time zone the screens show times in"
    )
    show_s: float = Field(
        default=8.0, gt=0, le=120, description="How long an outcome stays on the screen"
    )
