"""A pass card prints its validity in the site's zone, with the abbreviation that tells
the two passes of the repeated October hour apart."""

from datetime import UTC, datetime

from central_api.enroll.pass_card import CardText, card_footer, card_lines, render_card

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
    lines = card_lines(TEXT)
    assert "From  2026-10-25 02:30 CEST" in lines
    assert "Until 2026-10-25 02:30 CET" in lines
    assert card_footer(TEXT).startswith("Times in Europe/Amsterdam.")


def test_a_utc_site_prints_utc() -> None:
    utc = CardText(**{**TEXT.__dict__, "zone": "UTC"})
    assert "From  2026-10-25 00:30 UTC" in card_lines(utc)
    assert card_footer(utc).startswith("Times in UTC.")


def test_the_card_still_renders_at_cr80_size() -> None:
    assert render_card(token="PG1.test", text=TEXT, photo=None).size == (1011, 638)
