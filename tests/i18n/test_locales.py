"""Choosing a language (Accept-Language, the environment) and writing dates in it."""

from datetime import UTC, date, datetime

import pytest

from gate_protocol.i18n import (
    UnknownLocaleError,
    catalog_messages,
    format_date,
    format_datetime,
    locale_from_env,
    negotiate_locale,
    parse_locale,
    translator,
)
from gate_protocol.reasons import ReasonCode, describe_reason


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-SE,sv;q=0.9,en;q=0.5", "sv"),
        ("nl-BE", "nl"),
        ("pt-BR,pt;q=0.9", "en"),  # nothing we speak: English
        ("pt-BR,de;q=0.3", "de"),
        ("en;q=0.2, fr-CA;q=0.8", "fr"),  # by quality, not by order
        ("de;q=0", "en"),  # q=0 means "not this one"
        ("*", "en"),
        ("", "en"),
        (None, "en"),
        ("sv;q=abc,fr", "fr"),  # a broken quality counts as zero
    ],
)
def test_negotiation_picks_the_best_supported_language(header: str | None, expected: str) -> None:
    assert negotiate_locale(header) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("nl", "nl"), ("nl-NL", "nl"), ("sv_SE.UTF-8", "sv"), ("DE", "de"), ("fr_FR@euro", "fr")],
)
def test_a_locale_names_a_supported_language(value: str, expected: str) -> None:
    assert parse_locale(value) == expected


@pytest.mark.parametrize(
    "value", ["xx", "", "pt", "C", "../../etc/passwd", "nl-<script>", "e" * 300]
)
def test_an_unknown_locale_is_refused_with_the_ones_we_speak(value: str) -> None:
    with pytest.raises(UnknownLocaleError, match="choose one of en, nl, sv, de, fr") as raised:
        parse_locale(value)
    assert len(raised.value.value) <= 20  # a long value is not echoed whole


def test_the_cli_locale_comes_from_the_flag_then_portgate_lang_then_lang() -> None:
    env = {"PORTGATE_LANG": "de", "LANG": "sv_SE.UTF-8"}
    assert locale_from_env("fr", env) == "fr"
    assert locale_from_env(None, env) == "de"
    assert locale_from_env(None, {"LANG": "sv_SE.UTF-8"}) == "sv"
    assert locale_from_env(None, {"LANG": "C.UTF-8"}) == "en"  # a system default, not a choice
    with pytest.raises(UnknownLocaleError):
        locale_from_env(None, {"PORTGATE_LANG": "xx"})  # asked for: an error, not English


def test_dates_are_written_in_the_sites_zone_and_the_readers_language() -> None:
    instant = datetime(2026, 12, 6, 16, 5, 9, tzinfo=UTC)
    # Rotterdam and Gothenburg are UTC+1 in December; the same instant, each way of writing it.
    assert format_datetime(instant, zone="Europe/Amsterdam", locale="nl") == "6 dec 2026, 17:05:09"
    assert format_datetime(instant, zone="Europe/Stockholm", locale="sv") == "6 dec. 2026 17:05:09"
    assert format_datetime(instant, zone="Europe/Berlin", locale="de") == "06.12.2026, 17:05:09"
    assert format_datetime(instant, zone="Europe/Paris", locale="fr") == "6 déc. 2026, 17:05:09"
    assert format_datetime(instant, zone="UTC", locale="en") == "Dec 6, 2026, 4:05:09\u202fPM"
    assert format_date(date(2026, 3, 1), locale="de") == "01.03.2026"


def test_a_time_without_zone_or_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="without a time zone"):
        format_datetime(datetime(2026, 12, 6, 16, 5), zone="Europe/Amsterdam", locale="nl")
    with pytest.raises(ValueError, match="unknown time zone"):
        format_datetime(datetime(2026, 12, 6, tzinfo=UTC), zone="Mars/Olympus", locale="nl")


def test_reason_messages_are_translated_and_keep_their_detail() -> None:
    assert describe_reason(ReasonCode.GRANTED, locale="de") == "Zutritt gewährt."
    assert describe_reason(ReasonCode.PORT_BAN) == (
        "Person is banned from the port by the port authority: call the guard."
    )
    assert describe_reason(ReasonCode.COMPETENCY_EXPIRED, "ISPS", locale="fr") == (
        "Une habilitation requise est manquante ou expirée : ISPS."
    )
    for locale in ("nl", "sv", "de", "fr"):
        for code in ReasonCode:
            assert describe_reason(code, locale=locale) != describe_reason(code), (locale, code)


def test_a_translator_fills_placeholders_and_english_is_the_message_itself() -> None:
    assert translator("nl")("Pass {id} issued.", id="P-7") == "Toegangsbewijs P-7 uitgegeven."
    assert translator("en")("Pass {id} issued.", id="P-7") == "Pass P-7 issued."
    assert catalog_messages("en") == {}
    assert catalog_messages("sv")["Log in"] == "Logga in"
