"""The `portgate` command line: the composition root of every part (docs/architecture.md, CLI)."""

import os
import sys
from typing import Annotated

import typer

from gate_protocol.i18n import UnknownLocaleError
from portgate.environment import UnknownSettingError, check_environment
from portgate.errors import one_line_error
from portgate.language import _, choose_cli_locale
from portgate.lazy_commands import LazyGroup
from portgate.logsetup import LogFormat, configure_logging

# The commands are imported when run, not here (portgate/lazy_commands.py): a bridge starts
# without loading the API's or the agent's libraries, and every command starts sooner.
app = typer.Typer(
    name="portgate",
    help="PortGate: gate access and identity verification for seaport terminals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


def _choose_language(lang: str | None) -> str | None:
    # An eager option: the language is set before a --help after it is shown, and before
    # the command is looked up (lazy_commands translates its help texts then).
    try:
        choose_cli_locale(lang)
    except UnknownLocaleError as exc:  # one plain line: the user asked for it by name
        typer.echo(f"portgate: --lang or PORTGATE_LANG: {exc}", err=True)
        raise typer.Exit(code=2) from None
    return lang


@app.callback()
def _logging_options(
    log_format: Annotated[
        LogFormat, typer.Option(help="Log lines as text or as one JSON object each (SIEM).")
    ] = LogFormat.TEXT,
    log_level: Annotated[
        str, typer.Option(help="debug, info, warning, error or critical.")
    ] = "info",
    lang: Annotated[
        str | None,
        typer.Option(
            help="Language of the messages: en, nl, sv, de, fr (PORTGATE_LANG, LANG).",
            is_eager=True,
            callback=_choose_language,
        ),
    ] = None,
) -> None:
    """PortGate: gate access and identity verification for seaport terminals."""
    del lang  # chosen by its option's callback, before the command is looked up
    try:
        configure_logging(log_format, log_level)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--log-level") from None


def main() -> None:
    """Entry point of the `portgate` console script.

    ``--debug`` (anywhere before the command's own arguments end) shows the traceback of an
    unexpected error; without it the error is one line and exit status 1.
    """
    debug = "--debug" in sys.argv[1:]
    if debug:
        sys.argv.remove("--debug")
    try:
        check_environment(os.environ)  # a misspelled setting is refused, never ignored
    except UnknownSettingError as exc:
        typer.echo(f"portgate: {exc}", err=True)
        raise SystemExit(2) from exc
    configure_logging()  # the default until the global options say otherwise
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, not a traceback
        if debug:
            raise
        message = _("{error} (--debug shows the traceback)", error=one_line_error(exc))
        typer.echo(f"portgate: {message}", err=True)
        raise SystemExit(1) from None
