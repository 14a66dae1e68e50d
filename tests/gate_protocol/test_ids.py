"""The one id rule (gate_protocol.ids): its boundary, and that every id is a topic level."""

import pytest
from pydantic import TypeAdapter, ValidationError

from gate_protocol.ids import (
    MAX_ID_LENGTH,
    AccountName,
    BadgeNumber,
    Id,
    is_account_name,
    is_id,
)
from gate_protocol.topics import TopicError, validate_id

ACCEPTED = ["a", "Z", "0", "rtm-maasvlakte", "gate.north_1", "badge:0042", "-", "x" * MAX_ID_LENGTH]
REFUSED = [
    "",
    "x" * (MAX_ID_LENGTH + 1),
    "a/b",
    "a+b",
    "a#b",
    "+",
    "#",
    "$SYS",
    "a b",
    "a\tb",
    "a\nb",
    "ab\n",
    "a\x00b",
    "a\u200bb",  # zero-width space: invisible in a log line
    "gäte",
    "١٢",  # Arabic-Indic digits: str.isdigit() but not ASCII
    "a|b",
    "a@b",
    "a,b",
]


@pytest.mark.parametrize("value", ACCEPTED)
def test_an_id_is_accepted_by_the_type_the_check_and_the_topic_rule(value: str) -> None:
    assert TypeAdapter(Id).validate_python(value) == value
    assert is_id(value)
    assert validate_id(value) == value


@pytest.mark.parametrize("value", REFUSED)
def test_a_non_id_is_refused_by_the_type_and_the_check(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Id).validate_python(value)
    error = caught.value.errors()[0]
    assert error["type"] in {"string_too_short", "string_too_long", "string_pattern_mismatch"}
    assert not is_id(value)


@pytest.mark.parametrize("value", ["a/b", "a+b", "a#b", "$SYS", "a b", "a\nb", "", "x" * 65])
def test_what_the_topic_rule_refuses_the_id_rule_refuses_too(value: str) -> None:
    with pytest.raises(TopicError):
        validate_id(value)
    assert not is_id(value)


def test_the_pattern_error_names_the_allowed_characters() -> None:
    with pytest.raises(ValidationError, match=r"A-Za-z0-9\._:-"):
        TypeAdapter(Id).validate_python("gate 1")


@pytest.mark.parametrize("value", ["api", "api-w1-live", "agent-gate.a_1", "x" * 64])
def test_an_account_name_is_an_id(value: str) -> None:
    assert TypeAdapter(AccountName).validate_python(value) == value
    assert is_account_name(value)
    assert is_id(value)


@pytest.mark.parametrize("value", ["user:1", "", "x" * 65, "a b", "ä", "a/b"])
def test_an_account_name_has_no_colon_and_the_id_limits(value: str) -> None:
    # ':' separates the name from the hash in the broker's password file.
    with pytest.raises(ValidationError):
        TypeAdapter(AccountName).validate_python(value)
    assert not is_account_name(value)


@pytest.mark.parametrize("value", ["00FF", "0a:1b:2c", "12-34", "f" * 64])
def test_a_badge_number_is_hex_with_separators(value: str) -> None:
    assert TypeAdapter(BadgeNumber).validate_python(value) == value


@pytest.mark.parametrize("value", ["", "G1", "0x12", "12 34", "f" * 65])
def test_a_badge_number_refuses_anything_else(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(BadgeNumber).validate_python(value)
