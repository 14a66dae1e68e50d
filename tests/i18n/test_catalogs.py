"""The catalogs are complete: every message in the source has every translation.

Extraction runs as `make i18n` runs it (babel.cfg, the same keywords); a message added to
the source and not to the catalogs fails here, as does a missing or fuzzy translation or a
translation whose placeholders ({name}, %(name)s) differ from its message's.
"""

import os
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from gate_protocol.i18n import SUPPORTED_LOCALES
from gate_protocol.i18n.catalogs import LOCALE_DIR

ROOT = Path(__file__).parents[2]
# As the Makefile's i18n target extracts (keep the two alike).
EXTRACT = ["-F", "babel.cfg", "-k", "PG.t", "-k", "NavItem:2", "--no-location", "--sort-output"]
SOURCES = ["central_api", "gate_protocol", "portgate"]
TRANSLATED = [locale for locale in SUPPORTED_LOCALES if locale != "en"]
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {str(message.id) for message in catalog if message.id}


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pot = tmp_path_factory.mktemp("i18n") / "portgate.pot"
    cli = CommandLineInterface()
    args = ["pybabel", "-q", "extract", *EXTRACT, "-o", str(pot), *SOURCES]
    cwd = Path.cwd()
    os.chdir(ROOT)  # babel.cfg's patterns are relative to the repository
    try:
        cli.run(args)  # type: ignore[no-untyped-call]  # (babel ships no annotations here)
    finally:
        os.chdir(cwd)
    return _ids(_read(pot))


def test_the_committed_template_holds_every_message_of_the_source(source_ids: set[str]) -> None:
    committed = _ids(_read(LOCALE_DIR / "portgate.pot"))
    assert source_ids - committed == set(), "run `make i18n`: the .pot is stale"
    assert len(source_ids) > 300  # the pages, reasons and CLI: extraction did find them


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_has_a_translation_with_the_same_placeholders(
    locale: str, source_ids: set[str]
) -> None:
    catalog = _read(LOCALE_DIR / locale / "LC_MESSAGES" / "portgate.po", locale)
    translated = {str(m.id): m for m in catalog if m.id}
    assert source_ids - set(translated) == set(), f"{locale}: run `make i18n`"
    untranslated = sorted(i for i in source_ids if not translated[i].string)
    assert untranslated == [], f"{locale}: no translation for {untranslated[:5]}"
    fuzzy = sorted(i for i in source_ids if translated[i].fuzzy)
    assert fuzzy == [], f"{locale}: fuzzy (unchecked) translations {fuzzy[:5]}"
    for message_id in source_ids:
        text = str(translated[message_id].string)
        wanted = sorted(_PLACEHOLDER.findall(message_id))
        assert sorted(_PLACEHOLDER.findall(text)) == wanted, f"{locale}: {message_id!r} → {text!r}"


def test_the_placeholder_check_sees_a_wrong_or_missing_placeholder() -> None:
    assert sorted(_PLACEHOLDER.findall("Pas {id} uitgegeven")) == ["{id}"]
    assert sorted(_PLACEHOLDER.findall("Pas {nummer} uitgegeven")) != ["{id}"]
    assert _PLACEHOLDER.findall("%(count)d van %(total)s") == ["%(count)d", "%(total)s"]


# A page script's literal text: PG.t("...") with a plain double-quoted string.
_SCRIPT_TEXT = re.compile(r'PG\.t\(\s*"((?:[^"\\]|\\.)*)"')


def test_every_literal_script_text_is_extracted(source_ids: set[str]) -> None:
    # Babel's JavaScript extractor skips a PG.t inside another PG.t's arguments: such a
    # text would stay English in every language although the catalogs look complete.
    scripts = sorted((ROOT / "central_api" / "web" / "static").glob("*.js"))
    found = {
        (script.name, match.group(1))
        for script in scripts
        for match in _SCRIPT_TEXT.finditer(script.read_text(encoding="utf-8"))
        if "\\" not in match.group(1)
    }
    assert len(found) > 100  # the scripts' texts were found at all
    assert {entry for entry in found if entry[1] not in source_ids} == set()
