"""The `portgate` command line: the composition root of every part (docs/architecture.md, CLI)."""

import os
import sys
from typing import Annotated

import typer

from gate_protocol.i18n import UnknownLocaleError
from portgate.commands import (
    agent,
    api,
    audit,
    bans,
    bench,
    bridge,
    broker,
    community,
    companies,
    db,
    demo,
    enroll,
    faces,
    gates,
    health,
    liveness,
    protocol,
    scan,
    users,
    watchlist,
)
from portgate.commands import visitors as visitors_commands
from portgate.commands.access import groups as groups_commands
from portgate.commands.backup import cli as backup_commands
from portgate.commands.baseline import cli as baseline_commands
from portgate.commands.desk_reader import desk_reader_command
from portgate.commands.events import cli as events_commands
from portgate.commands.incidents import stix as community_stix
from portgate.commands.keys import app as keys_app
from portgate.commands.report import cli as report_commands
from portgate.commands.sites import cli as site_commands
from portgate.commands.staff_reports import cli as staff_report_commands
from portgate.environment import UnknownSettingError, check_environment
from portgate.errors import one_line_error
from portgate.language import _, choose_cli_locale
from portgate.logsetup import LogFormat, configure_logging

app = typer.Typer(
    name="portgate",
    help="PortGate: gate access and identity verification for seaport terminals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo.demo_command)
app.command("api")(api.api_command)
app.command("agent")(agent.agent_command)
app.command("bridge")(bridge.bridge_command)
app.command("scan")(scan.scan_command)
app.command("health")(health.health_command)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(groups_commands.app, name="groups")
app.add_typer(gates.app, name="gates")
app.add_typer(keys_app, name="keys")
app.add_typer(companies.app, name="companies")
app.add_typer(community.app, name="community")
app.add_typer(broker.app, name="broker")
app.add_typer(enroll.app, name="enroll")
app.add_typer(faces.app, name="faces")
app.add_typer(audit.app, name="audit")
app.add_typer(bans.app, name="bans")
app.add_typer(protocol.app, name="protocol")
app.add_typer(bench.app, name="bench")
app.add_typer(visitors_commands.app, name="visitors")
app.add_typer(watchlist.app, name="watchlist")
app.add_typer(baseline_commands.app, name="baseline")
app.add_typer(liveness.app, name="liveness")
app.add_typer(events_commands.app, name="events")
app.add_typer(staff_report_commands.app, name="staff-reports")
app.add_typer(report_commands.app, name="report")
app.add_typer(site_commands.app, name="sites")
app.command("backup")(backup_commands.backup_command)
app.command("restore")(backup_commands.restore_command)
app.command("desk-reader")(desk_reader_command)
# Incidents go out and come in as STIX bundles beside the sharing commands.
community_stix.add_stix_commands(community.app)


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
        typer.Option(help="Language of the messages: en, nl, sv, de, fr (PORTGATE_LANG, LANG)."),
    ] = None,
) -> None:
    """PortGate: gate access and identity verification for seaport terminals."""
    try:
        configure_logging(log_format, log_level)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--log-level") from None
    try:
        choose_cli_locale(lang)
    except UnknownLocaleError as exc:  # one plain line: the user asked for it by name
        typer.echo(f"portgate: --lang or PORTGATE_LANG: {exc}", err=True)
        raise typer.Exit(code=2) from None


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
