"""What a valid id is: one rule for every id PortGate stores, sends or puts in a topic or URL.

An id (site, zone, gate, node, person, credential ref, schedule, appointment, pass, template,
pass key, event, alarm, command, request and message ids) is 1 to 64 of the ASCII letters,
digits, ``.``, ``_``, ``:`` and ``-``. Every such id is therefore also one valid MQTT topic
level (never empty, never ``/``, ``+``, ``#``, ``$``-prefixed, whitespace or control
characters: `gate_protocol.topics.validate_id`, which topics check on their own), a URL path
segment that needs no escaping and a token that cannot forge a log line.

Account names (API users, broker users) follow the same rule without ``:``: the broker's
password file is ``user:hash``, and a gate id becomes part of its nodes' broker user names.

A badge number is what a reader sends: hexadecimal digits, ``:`` and ``-`` (up to 64).

The types are pydantic annotated strings, so models, FastAPI path and query parameters and the
JSON Schema snapshot all carry the same constraint; `is_id` is the same rule for plain code.
"""

import re
from typing import Annotated, Final

from pydantic import StringConstraints

__all__ = [
    "ACCOUNT_NAME_PATTERN",
    "BADGE_NUMBER_PATTERN",
    "ID_CHARACTERS",
    "ID_PATTERN",
    "MAX_ID_LENGTH",
    "OPTIONAL_ID_PATTERN",
    "AccountName",
    "BadgeNumber",
    "Id",
    "is_account_name",
    "is_id",
]

MAX_ID_LENGTH: Final = 64
# A character class body, for patterns that hold an id among other text (e.g. "gate|gate").
ID_CHARACTERS: Final = "A-Za-z0-9._:-"
ID_PATTERN: Final = rf"^[{ID_CHARACTERS}]+$"
# A filter that may be left empty (a form's "any" choice): an id or nothing.
OPTIONAL_ID_PATTERN: Final = rf"^[{ID_CHARACTERS}]*$"
ACCOUNT_NAME_PATTERN: Final = r"^[A-Za-z0-9._-]+$"
# What any reader can send as a badge number (hex digits, `:` and `-`).
BADGE_NUMBER_PATTERN: Final = r"^[0-9A-Fa-f:-]+$"

Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
AccountName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH, pattern=ACCOUNT_NAME_PATTERN)
]
BadgeNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH, pattern=BADGE_NUMBER_PATTERN)
]

_ID_RE: Final = re.compile(ID_PATTERN)
_ACCOUNT_NAME_RE: Final = re.compile(ACCOUNT_NAME_PATTERN)


def is_id(text: str) -> bool:
    """Whether `text` is a valid id (the rule of `Id`, for code outside pydantic models)."""
    # fullmatch: "$" alone would also accept a trailing newline.
    return len(text) <= MAX_ID_LENGTH and _ID_RE.fullmatch(text) is not None


def is_account_name(text: str) -> bool:
    """Whether `text` is a valid API or broker user name (the rule of `AccountName`)."""
    return len(text) <= MAX_ID_LENGTH and _ACCOUNT_NAME_RE.fullmatch(text) is not None
