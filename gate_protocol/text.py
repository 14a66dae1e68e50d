"""Free text that gets stored: no NUL and no other C0 control character.

PostgreSQL cannot store NUL in a text column (an event carrying one was a 500 at the API
and, over MQTT, a message never stored nor acknowledged), and control characters in a
name or a detail reach terminals and pages as they are. Tab, line feed and carriage
return stay allowed: a detail may have lines. Every model field of stored text uses
`NoControlCharacters` (the messages' `Text`, the API's names and texts).
"""

import re

from pydantic import AfterValidator

__all__ = ["NoControlCharacters", "escape_control_characters", "refuse_control_characters"]

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters(value: str) -> str:
    """Return `value`, or raise ValueError naming its first control character."""
    found = _CONTROL.search(value)
    if found is not None:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at position "
            f"{found.start()}; text may hold tabs and line breaks but no other control "
            "characters"
        )
    return value


def escape_control_characters(value: str) -> str:
    r"""`value` with each control character written as ``\xNN`` (text refused as is)."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", value)


NoControlCharacters = AfterValidator(refuse_control_characters)
