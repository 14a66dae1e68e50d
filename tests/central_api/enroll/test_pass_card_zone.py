"""A pass card prints its validity in the site's zone, with the abbreviation that tells
the two passes of the repeated October hour apart."""

from datetime import UTC, datetime

from central_api.enroll.pass_card import CardText, card_lines, render_card
from gate_protocol.i18n import translator

TEXT = CardText(
    name="Jan Jansen",
    company="Acme",
    person_id="p1",
    pass_id="PASS1",
    valid_from=datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    valid_until=datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    gates=("NORTH-1",),
    plate="AB-123-C",
    zone="Europe/Amsterdam",
)


def test_the_validity_is_local_with_its_abbreviation() -> None:
    lines = card_lines(TEXT, translator("en"))
    from_line = next(line for line in lines if line.startswith("From "))
    until_line = next(line for line in lines if line.startswith("Until "))
    assert "2:30" in from_line and from_line.endswith(" CEST")
    assert "2:30" in until_line and until_line.endswith(" CET")


def test_a_utc_site_prints_utc() -> None:
    utc = CardText(**{**TEXT.__dict__, "zone": "UTC"})
    from_line = next(line for line in card_lines(utc, translator("en")) if "From" in line)
    assert "12:30" in from_line and from_line.endswith(" UTC")


def test_the_card_still_renders_at_cr80_size() -> None:
    assert render_card(token="PG1.test", text=TEXT, photo=None).size == (1011, 638)
