"""Every CLI command speaks the five languages: result and error lines, and the help texts.

A sample of commands runs through `portgate.cli.main` in a subprocess per language: the
lines a person reads are translated, the exit codes are the English run's. Then every
registered command's --help is shown in Dutch, each of its help texts from the catalog.
"""

import json
import os
import subprocess
import sys

import pytest
from typer import _click as click
from typer.core import TyperGroup
from typer.testing import CliRunner

from gate_protocol.i18n import SUPPORTED_LOCALES, catalog_messages, translator
from portgate.cli import app
from portgate.help_language import help_paragraphs
from portgate.lazy_commands import COMMANDS, load_command

# Runs each argv through the console script's entry point and reports what it printed.
_RUN_SAMPLE = """
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

SAMPLE = [
    ["companies", "list"],  # an empty database: one result line
    ["gates", "show", "nosuch"],  # an error line, exit 1
    ["enroll", "person", "update", "P-1"],  # bad input, exit 2 before any request
    ["users", "add", "--help"],
    ["gates", "list", "--help"],
    ["gates", "show"],  # click's usage error: exit 2 in every language
]
EXIT_CODES = [0, 1, 2, 0, 0, 2]


@pytest.fixture(scope="module")
def sample_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    """The SAMPLE's results per language, on one migrated, empty SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-languages') / 'cli.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("PORTGATE_LANG", "MQTT_URL")}
    env |= {"DATABASE_URL": url, "LANG": "C.UTF-8", "COLUMNS": "250"}
    upgraded = CliRunner().invoke(app, ["db", "upgrade"], env={"DATABASE_URL": url})
    assert upgraded.exit_code == 0, upgraded.output
    # One process runs every language's sample: the imports are paid once.
    argvs = [["--lang", locale, *argv] for locale in SUPPORTED_LOCALES for argv in SAMPLE]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _RUN_SAMPLE, json.dumps(argvs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        locale: results[index * len(SAMPLE) : (index + 1) * len(SAMPLE)]
        for index, locale in enumerate(SUPPORTED_LOCALES)
    }


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_a_sample_of_commands_speaks_the_language_with_unchanged_exit_codes(
    locale: str, sample_runs: dict[str, list[dict[str, str]]]
) -> None:
    _ = translator(locale)
    runs = sample_runs[locale]
    assert [int(run["code"]) for run in runs] == EXIT_CODES, runs
    listed, missing_gate, no_change, users_help, gates_help, usage = runs
    assert listed["out"] == _("no companies") + "\n"
    assert _("gates show: no gate {gate}", gate="'nosuch'") in missing_gate["err"]
    assert _("person update: nothing to change") in no_change["err"]
    assert _("Login name.") in users_help["out"]
    assert (
        _("Add a user with a role; the password comes from a prompt or PORTGATE_PASSWORD.")
        in (users_help["out"])
    )
    assert _("Only this site's gates.") in gates_help["out"]
    assert _("Missing argument {name}.", name="'gate_id'") in usage["err"]  # click's too


def test_the_translated_lines_are_not_the_english_ones(
    sample_runs: dict[str, list[dict[str, str]]],
) -> None:
    swedish = sample_runs["sv"]
    assert swedish[0]["out"] == "inga företag\n"
    assert "gates show: ingen grind 'nosuch'" in swedish[1]["err"]
    assert "person update: inget att ändra" in swedish[2]["err"]
    assert "Inloggningsnamn." in swedish[3]["out"] and "Login name." not in swedish[3]["out"]
    assert "Endast denna anläggnings grindar." in swedish[4]["out"]
    english = sample_runs["en"]
    assert "gates show: no gate 'nosuch'" in english[1]["err"]
    assert "Login name." in english[3]["out"]


def _commands() -> dict[tuple[str, ...], list[str]]:
    """Every command and subcommand's path, with the paragraphs of its help texts."""
    found: dict[tuple[str, ...], list[str]] = {(): []}

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        texts = [command.help, *(getattr(param, "help", None) for param in command.params)]
        found[path] = [paragraph for text in texts if text for paragraph in help_paragraphs(text)]
        if isinstance(command, TyperGroup):
            for name, subcommand in command.commands.items():
                walk(subcommand, (*path, name))

    for name in COMMANDS:
        walk(load_command(name), (name,))
    return found


def test_every_command_s_help_is_shown_in_dutch_from_the_catalog() -> None:
    dutch = catalog_messages("nl")
    runner = CliRunner()
    commands = _commands()
    assert len(commands) > 100  # every command and subcommand was found
    for path, texts in commands.items():
        result = runner.invoke(app, ["--lang", "nl", *path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert [text for text in texts if text not in dutch] == [], path
    root = runner.invoke(app, ["--lang", "nl", "--help"], env={"COLUMNS": "250"})
    assert "Gebruikers van dashboard en balie." in root.output  # `users` in the list
    # --help before any --lang: the environment's language, as for every command.
    from_env = runner.invoke(app, ["--help"], env={"PORTGATE_LANG": "de", "COLUMNS": "250"})
    assert "Benutzer von Dashboard und Schalter." in from_env.output
    # The same process in English again: the commands' own texts, nothing left over.
    english = runner.invoke(app, ["--lang", "en", "users", "add", "--help"])
    assert "Login name." in english.output and "Inlognaam." not in english.output


def test_help_paragraphs_are_the_messages_a_docstring_is_translated_by() -> None:
    docstring = """Print one line.

        Exits 1 when the
        chain breaks.
    """
    assert help_paragraphs(docstring) == ["Print one line.", "Exits 1 when the chain breaks."]
