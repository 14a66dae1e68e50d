"""Text people read: control and bidi characters refused when typed, neutralised from gates."""

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from gate_protocol.messages import AlarmKind, AlarmRaised, decode_message, encode_message
from gate_protocol.text import REPLACEMENT, SafeName, SafeText, escape_control_characters
from testkit.api.world import make_event

NAMES = TypeAdapter(SafeName)
TEXTS = TypeAdapter(SafeText)


@pytest.mark.parametrize(
    "bad",
    ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\x00", "\x1b", "\x85", "\n"],
)
def test_names_refuse_control_and_bidi_characters(bad: str) -> None:
    with pytest.raises(ValidationError, match=f"U\\+{ord(bad):04X}"):
        NAMES.validate_python(f"Jan{bad}de Vries")


def test_names_and_text_keep_what_people_write() -> None:
    for name in ("Jan de Vries", "Zoë Ōsaka-Müller", "محمد علي", "李小龍", "O'Brien & Co."):
        assert NAMES.validate_python(name) == name
    assert TEXTS.validate_python("line one\n\tline two") == "line one\n\tline two"
    with pytest.raises(ValidationError, match="U\\+202E"):
        TEXTS.validate_python("reason \u202e")


def test_a_gate_alarm_detail_is_kept_with_the_characters_shown_as_marks() -> None:
    alarm = AlarmRaised(
        alarm_id="a-1",
        alarm=AlarmKind.FORCED,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        detail="door \u202eforced\x00\x1b[31m",
    )
    received = decode_message(encode_message(alarm))
    assert isinstance(received, AlarmRaised)
    assert received.detail == f"door {REPLACEMENT}forced{REPLACEMENT}{REPLACEMENT}[31m"


def test_an_event_with_a_nul_in_its_text_is_kept_with_a_mark() -> None:
    # PostgreSQL cannot store a NUL in a text column: it is replaced, the event is kept.
    event = make_event(1, reason_detail="bad\x00detail")
    assert event.reason_detail == f"bad{REPLACEMENT}detail"


def test_a_dead_letter_keeps_control_characters_escaped() -> None:
    assert escape_control_characters("a\x00b\u202ec\tz") == "a\\x00b\\u202ec\tz"
