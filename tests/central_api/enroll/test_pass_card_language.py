"""The printed pass speaks the desk's language and gives times in the site's zone."""

from datetime import UTC, datetime

from central_api.enroll.pass_card import CardText, card_lines, render_card
from gate_protocol.i18n import translator

TEXT = CardText(
    name="Jan de Vries",
    company="Haulier BV",
    person_id="p-1",
    pass_id="PA-7",
    valid_from=datetime(2026, 12, 6, 7, 0, tzinfo=UTC),
    valid_until=datetime(2026, 12, 6, 15, 30, tzinfo=UTC),
    gates=("NORTH-1",),
    plate="AB123C",
)


def _dutch() -> CardText:
    return CardText(**{**TEXT.__dict__, "locale": "nl", "zone": "Europe/Amsterdam"})


def test_the_card_lines_are_dutch_with_rotterdam_times() -> None:
    lines = card_lines(_dutch(), translator("nl"))
    assert lines == [
        "Haulier BV",
        "Persoon p-1",
        "Toegangsbewijs PA-7",
        "Van 06-12-2026, 08:00 CET",  # 07:00 UTC is 08:00 in Rotterdam in December
        "Tot 06-12-2026, 16:30 CET",
        "Poorten NORTH-1",
        "Kenteken AB123C",
    ]


def test_an_english_card_keeps_its_words_and_utc() -> None:
    lines = card_lines(TEXT, translator("en"))
    assert lines[1:5] == [
        "Person p-1",
        "Pass PA-7",
        "From 12/6/26, 7:00\u202fAM UTC",
        "Until 12/6/26, 3:30\u202fPM UTC",
    ]


def test_the_drawn_card_differs_with_the_language() -> None:
    english = render_card(token="T", text=TEXT, photo=None)
    dutch = render_card(token="T", text=_dutch(), photo=None)
    assert english.size == dutch.size and english.tobytes() != dutch.tobytes()
