"""Whether this agent sends alarm stills: off unless ``PORTGATE_AGENT_ALARM_STILLS`` says so."""

import os
from collections.abc import Mapping

from gate_agent.config import ConfigError

__all__ = ["STILLS_ENV", "STILL_SPACE_BYTES", "StillsSettingError", "stills_enabled"]

STILLS_ENV = "PORTGATE_AGENT_ALARM_STILLS"
STILL_SPACE_BYTES = 16 * 1024 * 1024
"""The most unsent stills may take on disk (a few hundred stills at 30 to 80 KB)."""

_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"", "0", "false", "no", "off"})


class StillsSettingError(ConfigError):
    """``PORTGATE_AGENT_ALARM_STILLS`` holds something that is neither on nor off."""


def stills_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the agent sends a camera still with its lane alarms (default: no).

    Raises:
        StillsSettingError: the variable is set to something else than on/off words.
    """
    value = (os.environ if environ is None else environ).get(STILLS_ENV, "").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise StillsSettingError(f"{STILLS_ENV}={value!r}: use 1/true/yes/on or 0/false/no/off")
