"""Text a person reads: names and free text without control or bidi-override characters.

A name or an alarm detail is shown to operators on the dashboard, the desk, printed
passes and in logs. C0 and C1 control characters (a NUL, an escape sequence, a forged
line break in a name) and the Unicode bidi controls (U+202A-U+202E embeddings and
overrides, U+2066-U+2069 isolates, U+200E/U+200F and U+061C marks) can make such text
show something other than what it holds: "Jan" followed by U+202E reverses the rest.

Two rules, one set of characters:

* what people type (names, companies, reasons, comments) is refused with a clear error
  (`SafeName`, `SafeText`): the typist is there to fix it;
* what a gate reports (the messages' free text, alarm details, `neutralised_text`) has each
  such character replaced by U+FFFD, which shows as a visible mark: refusing it would
  drop a real access record or alarm, or leave a gate re-sending it for ever. PostgreSQL
  cannot store a NUL in a text column: a NUL from a gate is one of these characters.

Names also refuse tab and line breaks; free text keeps them.
"""

import re
from typing import Annotated, Final

from pydantic import AfterValidator

__all__ = [
    "REPLACEMENT",
    "SafeName",
    "SafeText",
    "escape_control_characters",
    "neutralised_text",
    "refuse_unsafe_name",
    "refuse_unsafe_text",
]

REPLACEMENT: Final = "\ufffd"
_BIDI: Final = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE_IN_TEXT: Final = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
_UNSAFE_IN_NAME: Final = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")


def refuse_unsafe_name(value: str) -> str:
    """Return `value`, or raise ValueError when it holds a control or bidi character."""
    return _refuse(value, _UNSAFE_IN_NAME, "a name")


def refuse_unsafe_text(value: str) -> str:
    """Return `value`, or raise ValueError on a control (bar tab, line breaks) or bidi character."""
    return _refuse(value, _UNSAFE_IN_TEXT, "text")


def neutralised_text(value: str) -> str:
    """`value` with each control (bar tab and line breaks) or bidi character shown as U+FFFD."""
    return _UNSAFE_IN_TEXT.sub(REPLACEMENT, value)


def escape_control_characters(value: str) -> str:
    r"""`value` with each control or bidi character written as ``\xNN`` / ``\uNNNN``.

    For what is kept as received but must not act on a terminal or page (a dead letter's
    topic and error).
    """
    return _UNSAFE_IN_TEXT.sub(lambda found: _escaped(found.group()), value)


def _escaped(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _refuse(value: str, unsafe: re.Pattern[str], what: str) -> str:
    found = unsafe.search(value)
    if found is not None:
        code = f"U+{ord(found.group()):04X}"
        raise ValueError(
            f"{what} may not hold control or bidi-override characters ({code} at {found.start()})"
        )
    return value


SafeName = Annotated[str, AfterValidator(refuse_unsafe_name)]
"""A name people read (person, company, group, site): no control or bidi character."""

SafeText = Annotated[str, AfterValidator(refuse_unsafe_text)]
"""Free text people type (reasons, comments): no control character bar tab and line breaks."""
