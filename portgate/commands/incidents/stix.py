"""`portgate community export|import --stix`: incident reports as STIX 2.1 bundles.

For the police, customs and CERTs of the port community, whose tools (MISP, OpenCTI) read
STIX 2.1 with TLP 2.0 markings (docs/incidents.md). Both write an audit row: what went out
under which labels and for whom, or what came in from where. The sharing room's own
`community` commands (init, join, members, remove) join these on the same group:
`add_stix_commands(group)` puts them on any Typer group.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from central_api.incidents.exchange import export_stix, import_stix
from central_api.incidents.stix_import import MAX_BUNDLE_BYTES
from central_api.incidents.tlp import Tlp, parse_tlp
from portgate.commands.sync_notices import cli_change
from portgate.commands.users import cli_actor
from portgate.language import _

__all__ = ["add_stix_commands"]


Stix = Annotated[bool, typer.Option("--stix", help="STIX 2.1 (the one format there is).")]


def _fail(command: str, message: str) -> typer.Exit:
    typer.echo(_("community {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=1)


def _utc(value: datetime | None) -> datetime | None:
    # A date without a zone is read as UTC, as every stored time is.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def export_command(
    stix: Stix = False,
    since: Annotated[
        datetime | None, typer.Option("--from", help="Incidents from (ISO 8601 date or time).")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option("--to", help="Incidents before (ISO 8601 date or time).")
    ] = None,
    tlp: Annotated[
        str, typer.Option("--tlp", help="The most restrictive label to include.")
    ] = Tlp.AMBER.value,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the bundle here (default stdout).")
    ] = None,
    recipient: Annotated[
        str | None, typer.Option("--for", help="Who the bundle is for (audited).")
    ] = None,
    organisation: Annotated[
        str,
        typer.Option(envvar="PORTGATE_ORGANISATION", help="The reporting organisation's name."),
    ] = "PortGate installation",
) -> None:
    """Export filed incident reports as one STIX 2.1 bundle with TLP 2.0 markings."""
    if not stix:
        raise _fail("export", _("say the format: --stix (STIX 2.1)"))
    try:
        max_tlp = parse_tlp(tlp)
    except ValueError as exc:
        raise _fail("export", str(exc)) from None
    since, until = _utc(since), _utc(until)
    if since is not None and until is not None and until <= since:
        raise _fail("export", _("--to must be after --from"))
    if output is not None and not output.parent.is_dir():
        raise _fail("export", _("no such folder: {folder}", folder=output.parent))
    who = recipient or (f"file:{output.name}" if output is not None else "stdout")
    with cli_change("community export") as session:
        text = export_stix(
            session,
            organisation=organisation,
            recipient=who,
            actor=cli_actor(),
            max_tlp=max_tlp,
            since=since,
            until=until,
        )
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(_("community export: bundle written to {file}", file=output), err=True)


def import_command(
    stix: Annotated[
        Path, typer.Option("--stix", help="The STIX 2.1 bundle (JSON file) to import.")
    ],
) -> None:
    """Import the incident reports of a STIX 2.1 bundle (all or none; each once)."""
    if not stix.is_file():
        raise _fail("import", _("no such file: {file}", file=stix))
    if stix.stat().st_size > MAX_BUNDLE_BYTES:
        raise _fail("import", _("{file} is over {limit} bytes", file=stix, limit=MAX_BUNDLE_BYTES))
    try:
        text = stix.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail("import", _("cannot read {file}: {error}", file=stix, error=exc)) from None
    with cli_change("community import") as session:
        result = import_stix(session, text, source=f"file:{stix.name}", actor=cli_actor())
    typer.echo(
        _(
            "community import: {stored} incident(s) stored, {known} already here",
            stored=len(result.stored),
            known=len(result.already_here),
        )
    )
    for incident_id in result.stored:
        typer.echo(incident_id)


def add_stix_commands(group: typer.Typer) -> None:
    """Put `export` and `import` on `group` (`portgate community`)."""
    group.command("export")(export_command)
    group.command("import")(import_command)
