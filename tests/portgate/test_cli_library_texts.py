"""Typer's and click's own words in the CLI's language, English unchanged.

The ``cli_library`` catalog holds exactly the messages the installed Typer passes to gettext
(an upgrade that renames one fails here: run `make i18n` and translate), each translated in
every language with its placeholders; what its click writes without gettext (``Usage:``, the
--help line, the usage errors) is mirrored from literals that must still be in its source.
Through the console script's entry point, in one subprocess: Dutch help panels, a German
usage error with click's exit code 2, and English output byte for byte what Typer writes
when no language was ever chosen.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from gate_protocol.i18n import SUPPORTED_LOCALES
from gate_protocol.i18n.catalogs import LOCALE_DIR
from portgate.help_language import HELP_OPTION_HELP, USAGE_PREFIX
from portgate.language import choose_cli_locale
from portgate.library_errors import SOURCE_TEXTS, translate_usage_message
from portgate.library_language import LIBRARY_DOMAIN, RICH_TEXTS

TYPER_DIR = Path(typer.__file__).parent
TRANSLATED = [locale for locale in SUPPORTED_LOCALES if locale != "en"]
# str.format fields ({}, {name!r}) and Rich's markup ([blue] ... [/]) must survive.
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|\[/?blue\]|\[/\]")

_RUN = """
import contextlib, io, json, sys
from portgate.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["portgate", *argv]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    results.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
print(json.dumps(results))
"""
HELP = ["gates", "add", "--help"]  # Arguments, Options, [required] and [default: ...]
WRONG = ["enroll", "person", "add", "--bogus"]
SAMPLE = [HELP, WRONG, ["gates", "sho"], ["--help"]]
RUNS = ("", "nl", "de", "en")  # no --lang first, then these


def _result(runs: tuple[Path, list[dict[str, Any]]], lang: str, argv: list[str]) -> dict[str, Any]:
    return runs[1][RUNS.index(lang) * len(SAMPLE) + SAMPLE.index(argv)]


def _ids(catalog: Catalog) -> set[str]:
    return {str(message.id) for message in catalog if message.id}


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale)


def test_the_catalog_holds_exactly_the_installed_typer_s_messages(tmp_path: Path) -> None:
    pot = tmp_path / "typer.pot"
    sources = [str(TYPER_DIR / "core.py"), str(TYPER_DIR / "rich_utils.py")]
    args = ["pybabel", "-q", "extract", "--no-location", "-o", str(pot), *sources]
    CommandLineInterface().run(args)  # type: ignore[no-untyped-call]  # (babel: no annotations)
    installed = _ids(_read(pot))
    committed = _ids(_read(LOCALE_DIR / f"{LIBRARY_DOMAIN}.pot"))
    assert installed == committed, "Typer's texts changed: run `make i18n` and translate"
    assert {"Usage: ", "Options", "Commands", "Error"} - installed == {"Usage: "}
    # The import-time texts set again on a language change are Typer's own, by name.
    rich_source = (TYPER_DIR / "rich_utils.py").read_text(encoding="utf-8")
    for name, message in RICH_TEXTS.items():
        assert f"{name} = _({json.dumps(message)})" in rich_source, name


def test_the_texts_click_writes_itself_are_still_in_the_installed_click() -> None:
    sources = "".join(p.read_text(encoding="utf-8") for p in sorted(TYPER_DIR.rglob("*.py")))
    literals = [*SOURCE_TEXTS, f'prefix = "{USAGE_PREFIX}"', f'help="{HELP_OPTION_HELP}"']
    assert [literal for literal in literals if literal not in sources] == []


@pytest.mark.parametrize(
    ("english", "dutch"),
    [
        ("No such option: --bogus", "Onbekende optie: --bogus"),
        (
            "No such option: --bogu (Possible options: --badge, --group)",
            "Onbekende optie: --bogu (mogelijke opties: --badge, --group)",
        ),
        ("Missing argument 'gate_id'.", "Argument 'gate_id' ontbreekt."),
        (
            "Missing option '--role'. Choose from:\n\tadmin",
            "Optie '--role' ontbreekt. Choose from:\n\tadmin",
        ),
        (
            "Invalid value for '--limit': 'x' is no int",
            "Ongeldige waarde voor '--limit': 'x' is no int",
        ),
        ("Got unexpected extra argument(s) (a b)", "Onverwachte extra argumenten (a b)"),
        ("Option '--role' requires an argument.", "Optie '--role' vereist een argument."),
        (
            "Onbekende opdracht 'sho'. Did you mean 'show'?",
            "Onbekende opdracht 'sho'. Bedoelde u 'show'?",
        ),
        ("Something click has not said before.", "Something click has not said before."),
    ],
)
def test_click_s_usage_errors_are_written_again_in_the_language(english: str, dutch: str) -> None:
    choose_cli_locale("nl")  # put back to English after the test (conftest)
    assert translate_usage_message(english) == dutch


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_library_text_is_translated_with_its_placeholders(locale: str) -> None:
    committed = _ids(_read(LOCALE_DIR / f"{LIBRARY_DOMAIN}.pot"))
    catalog = _read(LOCALE_DIR / locale / "LC_MESSAGES" / f"{LIBRARY_DOMAIN}.po", locale)
    messages = {str(m.id): m for m in catalog if m.id}
    assert committed - set(messages) == set(), f"{locale}: run `make i18n`"
    for message_id in committed:
        message = messages[message_id]
        assert message.string and not message.fuzzy, f"{locale}: {message_id!r}"
        wanted = sorted(_PLACEHOLDER.findall(message_id))
        assert sorted(_PLACEHOLDER.findall(str(message.string))) == wanted, message_id


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """SAMPLE with no language, then in nl, de and en, all in one process."""
    cache = tmp_path_factory.mktemp("cache")
    env = {k: v for k, v in os.environ.items() if k not in ("PORTGATE_LANG", "LANGUAGE")}
    env |= {"LANG": "C.UTF-8", "COLUMNS": "250", "XDG_CACHE_HOME": str(cache)}
    argvs = [[*(["--lang", lang] if lang else []), *argv] for lang in RUNS for argv in SAMPLE]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _RUN, json.dumps(argvs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return cache, json.loads(done.stdout.strip().splitlines()[-1])


def test_dutch_help_shows_typer_s_words_in_dutch(runs: tuple[Path, list[dict[str, Any]]]) -> None:
    dutch_help = _result(runs, "nl", HELP)
    assert dutch_help["code"] == 0
    dutch_words = ("Gebruik: ", "╭─ Opties ", "╭─ Argumenten ", "[verplicht]", "[standaard: ")
    for word in (*dutch_words, "Toon dit bericht en stop."):
        assert word in dutch_help["out"], word
    english_words = ("Usage: ", "╭─ Options ", "╭─ Arguments ", "[required]", "[default: ")
    for english in (*english_words, "Show this message and exit."):
        assert english not in dutch_help["out"], english
    # The root's --help option is made before --lang is read: its line is Dutch all the same.
    root = _result(runs, "nl", ["--help"])["out"]
    assert "Toon dit bericht en stop." in root and "Gebruik: portgate [OPTIONS]" in root


def test_a_wrong_option_in_german_is_typer_s_error_in_german_with_exit_2(
    runs: tuple[Path, list[dict[str, Any]]],
) -> None:
    plain, german = _result(runs, "", WRONG), _result(runs, "de", WRONG)
    assert plain["code"] == german["code"] == 2
    assert "╭─ Fehler " in german["err"] and "╭─ Error " not in german["err"]
    assert "Hilfe mit 'portgate enroll person add --help'." in german["err"]
    assert german["err"].startswith("Aufruf: portgate enroll person add [OPTIONS]\n")
    assert "│ Unbekannte Option: --bogus " in german["err"] and "No such" not in german["err"]
    typo = _result(runs, "de", ["gates", "sho"])
    assert "Unbekannter Befehl 'sho'. Meinten Sie 'show'?" in typo["err"] and typo["code"] == 2


def test_english_is_byte_for_byte_typer_s_own_output_after_another_language(
    runs: tuple[Path, list[dict[str, Any]]],
) -> None:
    results = runs[1]
    untouched, english = results[: len(SAMPLE)], results[-len(SAMPLE) :]
    assert english == untouched
    assert "╭─ Options " in untouched[0]["out"] and "╭─ Error " in untouched[1]["err"]
    assert "Show this message and exit." in untouched[3]["out"]


def test_the_catalog_is_compiled_under_the_user_s_cache_not_the_package(
    runs: tuple[Path, list[dict[str, Any]]],
) -> None:
    cache = runs[0]
    compiled = sorted(p.relative_to(cache).parts[-3:] for p in cache.rglob("*.mo"))
    assert compiled == [
        ("de", "LC_MESSAGES", "cli_library.mo"),
        ("nl", "LC_MESSAGES", "cli_library.mo"),
    ]
    assert list(LOCALE_DIR.rglob("*.mo")) == []
