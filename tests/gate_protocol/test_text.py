"""Text that gets stored refuses NUL and the other C0 control characters."""

import pytest
from pydantic import ValidationError

from gate_protocol.messages import AlarmKind, AlarmRaised, MessageError, decode_message
from gate_protocol.text import refuse_control_characters
from testkit.api.world import make_event


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "\x01", "\x08", "\x1b[31m", "\x1f", "\x7f"])
def test_a_control_character_is_refused_with_its_code_point(bad: str) -> None:
    with pytest.raises(ValueError, match=r"control character U\+00[0-9A-F]{2}"):
        refuse_control_characters(bad)


@pytest.mark.parametrize("good", ["", "plain", "tab\there", "two\nlines\r\n", "Zoë ✓"])
def test_ordinary_text_passes(good: str) -> None:
    assert refuse_control_characters(good) == good


def test_an_event_with_a_nul_in_its_text_is_invalid() -> None:
    with pytest.raises(ValidationError, match="U\\+0000"):
        make_event(1, reason_detail="bad\x00detail")


def test_an_alarm_with_a_control_character_does_not_decode() -> None:
    good = AlarmRaised(alarm_id="al-1", alarm=AlarmKind.TAMPER, at=make_event().occurred_at)
    payload = good.model_dump_json().replace('"detail":""', '"detail":"x\\u0000y"')
    with pytest.raises(MessageError) as caught:
        decode_message(payload)
    assert caught.value.reason == "invalid"
