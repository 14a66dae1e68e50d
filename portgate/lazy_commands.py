"""The CLI's commands, imported only when one is run (`portgate bridge` loads no dlib, no OpenCV).

Importing every command module took the CLI 5 to 50 s to start (the API's pages, reports,
face models), and made a bridge install need the API's and the agent's dependencies. Each
command is named here with the module that defines it and a one-line help for the command
list; `LazyGroup` imports the module when the command is looked up. A test checks that each
help line still matches the command's own (tests/portgate/test_lazy_commands.py).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # typer 0.2x carries its own click; its types are these
from typer.core import TyperCommand, TyperGroup

from gate_protocol.i18n import UnknownLocaleError
from portgate.help_language import LocalizedContext, localize_command, localize_help_option
from portgate.language import choose_cli_locale, cli_locale
from portgate.library_errors import localized_usage_errors

__all__ = ["COMMANDS", "LazyCommand", "LazyGroup", "load_command"]


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives: ``module:attribute`` (a function or a Typer app) and its help."""

    target: str
    help: str
    after_load: str | None = None  # ``module:function`` called with the loaded object


COMMANDS: dict[str, LazyCommand] = {
    "demo": LazyCommand(
        "portgate.commands.demo:demo_command",
        "Start a whole site on this machine: broker, API, dashboard, simulated gates.",
    ),
    "api": LazyCommand(
        "portgate.commands.api:api_command", "Run the central API and its web pages."
    ),
    "agent": LazyCommand(
        "portgate.commands.agent:agent_command",
        "Run a gate agent from a YAML config (under systemd: Type=notify with a watchdog).",
    ),
    "bridge": LazyCommand(
        "portgate.commands.bridge:bridge_command",
        "Run a firmware bridge from a YAML config (under systemd: Type=notify with a watchdog).",
    ),
    "scan": LazyCommand(
        "portgate.commands.scan:scan_command",
        "Print one JSON line per image with the codes and faces found in it.",
    ),
    "health": LazyCommand(
        "portgate.commands.health:health_command",
        "Exit 0 if the service's heartbeat file is fresh, 1 otherwise.",
    ),
    "backup": LazyCommand(
        "portgate.commands.backup.cli:backup_command",
        "Back up DATABASE_URL into one file (not the template key: keep that in escrow).",
    ),
    "restore": LazyCommand(
        "portgate.commands.backup.cli:restore_command",
        "Restore a backup into an empty database, after checking file, key and target.",
    ),
    "db": LazyCommand("portgate.commands.db:app", "Database schema management."),
    "users": LazyCommand("portgate.commands.users:app", "Dashboard and desk users."),
    "groups": LazyCommand(
        "portgate.commands.access.groups:app",
        "Access groups: zones on a schedule, and who holds them.",
    ),
    "gates": LazyCommand(
        "portgate.commands.gates:app", "Gates, their API keys and their command keys."
    ),
    "keys": LazyCommand("portgate.commands.keys:app", "Pass-signing keys and gate command keys."),
    "sites": LazyCommand("portgate.commands.sites.cli:app", "Sites: their time zone."),
    "desk-reader": LazyCommand(
        "portgate.commands.desk_reader:desk_reader_command",
        "Read badges at the desk's OSDP reader into the logged-in desk user's page.",
    ),
    "companies": LazyCommand(
        "portgate.commands.companies:app", "Transport companies and contractors: their status."
    ),
    "community": LazyCommand(
        "portgate.commands.community:app",
        "Sharing between installations of a port community.",
        # Incidents go out and come in as STIX bundles beside the sharing commands.
        after_load="portgate.commands.incidents.stix:add_stix_commands",
    ),
    "broker": LazyCommand("portgate.commands.broker:app", "MQTT broker credentials and ACLs."),
    "enroll": LazyCommand(
        "portgate.commands.enroll:app", "Security-desk enrollment (HTTP client of the API)."
    ),
    "faces": LazyCommand("portgate.commands.faces:app", "Face verification tools."),
    "audit": LazyCommand("portgate.commands.audit:app", "The hash-chained audit log."),
    "bans": LazyCommand("portgate.commands.bans:app", "Port bans (the port authority)."),
    "protocol": LazyCommand("portgate.commands.protocol:app", "The MQTT wire contract."),
    "bench": LazyCommand("portgate.commands.bench:app", "The benchmark suite."),
    "visitors": LazyCommand("portgate.commands.visitors:app", "Visitors pre-registered by a host."),
    "watchlist": LazyCommand(
        "portgate.commands.watchlist:app", "The port-wide watchlist: persons of interest."
    ),
    "baseline": LazyCommand(
        "portgate.commands.baseline.cli:app", "The security baseline (ISPS level 1/2/3 profiles)."
    ),
    "liveness": LazyCommand(
        "portgate.commands.liveness:app",
        "Presentation-attack detection: record, evaluate and calibrate (ISO/IEC 30107-3).",
    ),
    "events": LazyCommand(
        "portgate.commands.events.cli:app", "Access events: search them, export them as CSV."
    ),
    "staff-reports": LazyCommand(
        "portgate.commands.staff_reports.cli:app",
        "Staff reports of suspicious activity (docs/staff-reports.md).",
    ),
    "report": LazyCommand(
        "portgate.commands.report.cli:app",
        "Reports (access, alarms, companies, overrides) as CSV, XLSX or PDF.",
    ),
}


def _resolve(target: str) -> object:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_command(name: str) -> click.Command:
    """Import one command's module and build its click command (a group for a Typer app)."""
    entry = COMMANDS[name]
    loaded = _resolve(entry.target)
    if entry.after_load is not None:
        hook = _resolve(entry.after_load)
        if not callable(hook):
            raise TypeError(f"{entry.after_load} is not callable")
        hook(loaded)
    command: click.Command
    if isinstance(loaded, typer.Typer):
        command = typer.main.get_group(loaded)  # a group even with one subcommand
    elif callable(loaded):
        single = typer.Typer(add_completion=False)
        single.command(name)(loaded)
        command = typer.main.get_command(single)
    else:
        raise TypeError(f"{entry.target} is neither a command nor a Typer app")
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: its commands are the table above, each loaded on first lookup."""

    context_class = LocalizedContext  # click's "Usage:" and --help line in the run's language

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """The root's context; a usage error in the run's language (portgate/library_errors)."""
        with localized_usage_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; its usage errors (raised in its own context) in the run's language."""
        with localized_usage_errors():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, in the table's order (none imported)."""
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    _listing = False  # True while the root's help lists the commands

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported now if it was not yet.

        While `portgate --help` lists the commands, a command not yet imported stands in
        as its name and its line of the table: the list needs no more, and importing every
        command for it took several seconds (the demo alone imports the whole API).
        """
        if cmd_name in COMMANDS and cmd_name not in self.commands and self._listing:
            listed = TyperCommand(cmd_name, help=COMMANDS[cmd_name].help)
            return localize_command(listed, cli_locale())
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            # Click resolves the command before the root callback sets the log format, so
            # what a library logs as it is imported (alembic's plugin set-up) would come out
            # in the default text format: drop it, as before the imports were lazy.
            logging.disable(logging.INFO)
            try:
                self.commands[cmd_name] = load_command(cmd_name)
            finally:
                logging.disable(logging.NOTSET)
        command = super().get_command(ctx, cmd_name)
        # --lang is eager: the run's language is known here, before any --help is shown.
        return None if command is None else localize_command(command, cli_locale())

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The root's help (`portgate --help`) in the run's language."""
        if "lang" not in ctx.params:  # --help came before --lang: the environment's language
            with contextlib.suppress(UnknownLocaleError):  # named when a command runs
                choose_cli_locale(None)
        localize_command(self, cli_locale())
        localize_help_option(ctx, cli_locale())  # made with the context, before --lang was read
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
