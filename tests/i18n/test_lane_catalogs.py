"""The lane displays' catalogs (domain ``lane``) are complete in all nine languages.

Extraction runs as `make i18n` runs it for the lane domain; a text added to
gate_agent/display and missing from a catalog, untranslated, fuzzy or with other
placeholders than its message fails here.
"""

import os
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from gate_agent.display.catalog import LANE_LOCALES, LOCALE_DIR, lane_messages, lane_text

ROOT = Path(__file__).parents[2]
TRANSLATED = [locale for locale in LANE_LOCALES if locale != "en"]
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {str(message.id) for message in catalog if message.id}


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pot = tmp_path_factory.mktemp("lane") / "lane.pot"
    args = ["pybabel", "-q", "extract", "-F", "babel.cfg", "--no-location", "--sort-output"]
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run([*args, "-o", str(pot), "gate_agent/display"])  # type: ignore[no-untyped-call]
    finally:
        os.chdir(cwd)
    return _ids(_read(pot))


def test_the_nine_languages_of_the_issue_are_spoken() -> None:
    assert set(LANE_LOCALES) == {"en", "nl", "sv", "de", "fr", "pl", "ro", "lt", "tr"}


def test_the_committed_template_holds_every_lane_text(source_ids: set[str]) -> None:
    assert source_ids - _ids(_read(LOCALE_DIR / "lane.pot")) == set(), "run `make i18n`"
    assert len(source_ids) > 30


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_lane_text_is_translated_with_the_same_placeholders(
    locale: str, source_ids: set[str]
) -> None:
    catalog = _read(LOCALE_DIR / locale / "LC_MESSAGES" / "lane.po", locale)
    translated = {str(m.id): m for m in catalog if m.id}
    assert source_ids - set(translated) == set(), f"{locale}: run `make i18n`"
    assert sorted(i for i in source_ids if not translated[i].string) == [], locale
    assert sorted(i for i in source_ids if translated[i].fuzzy) == [], locale
    for message_id in source_ids:
        text = str(translated[message_id].string)
        assert text != message_id, f"{locale}: {message_id!r} left in English"
        wanted = sorted(_PLACEHOLDER.findall(message_id))
        assert sorted(_PLACEHOLDER.findall(text)) == wanted, f"{locale}: {message_id!r}"
    assert set(lane_messages(locale)) >= source_ids  # what the page is given is all of it


def test_a_missing_translation_falls_back_to_english_and_an_unknown_language_is_refused() -> None:
    assert lane_text("pl", "No such text {x}.", x="1") == "No such text 1."
    assert lane_text("pl", "Welcome, {name}", name="Anna") == "Witamy, Anna"
    with pytest.raises(ValueError, match="unknown lane language 'xx'"):
        lane_messages("xx")
