"""`portgate events search` (a page, newest first) and `portgate events export` (CSV, all).

Both take the filters of ``GET /api/v1/events/search`` as options; a bad value is one error
line and exit code 1, and nothing is read.
"""

import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from central_api.config import database_url
from central_api.db import make_engine
from central_api.errors import ServiceError
from central_api.search.events import search_events
from central_api.search.export import stream_events_csv
from central_api.search.filters import MAX_PAGE_SIZE, EventFilters, event_filters
from gate_protocol.i18n import N_
from portgate.language import _

__all__ = ["app"]

app = typer.Typer(help="Access events: search them, export them as CSV.", no_args_is_help=True)


def _option(name: str, text: str) -> object:
    return typer.Option(name, help=text)


# N_ marks the help texts for the catalogs (they are translated when shown).
Since = Annotated[str | None, _option("--from", N_("From this time (ISO 8601 with a zone)."))]
Until = Annotated[str | None, _option("--to", N_("Before this time (ISO 8601 with a zone)."))]
Site = Annotated[str | None, _option("--site", N_("Site id."))]
Gate = Annotated[str | None, _option("--gate", N_("Gate id."))]
Zone = Annotated[str | None, _option("--zone", N_("Zone id (the zone's gates)."))]
Reason = Annotated[str | None, _option("--reason", N_("Reason code (e.g. face_mismatch)."))]
DecisionOpt = Annotated[str | None, _option("--decision", N_("granted or denied."))]
PersonOpt = Annotated[str | None, _option("--person", N_("Person id, or part of the name."))]
CompanyOpt = Annotated[str | None, _option("--company", N_("Company id, or part of the name."))]
Kind = Annotated[str | None, _option("--credential-kind", N_("badge, qr_pass or face."))]
By = Annotated[str | None, _option("--decided-by", N_("central or replica."))]
# The catalogs' copy of --limit's help with today's limit: a new limit shows it in English
# until the catalogs follow (tests/portgate/test_cli_languages.py walks every help text).
N_("Page size (1 to 500).")


def _fail(command: str, message: str) -> typer.Exit:
    typer.echo(_("events {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=1)


def _filters(command: str, **texts: str | None) -> EventFilters:
    try:
        return event_filters(**texts)
    except ServiceError as exc:
        raise _fail(command, exc.message) from None


@app.command("search")
def search_command(
    since: Since = None,
    until: Until = None,
    site: Site = None,
    gate: Gate = None,
    zone: Zone = None,
    reason: Reason = None,
    decision: DecisionOpt = None,
    person: PersonOpt = None,
    company: CompanyOpt = None,
    credential_kind: Kind = None,
    decided_by: By = None,
    limit: Annotated[int, typer.Option("--limit", help=f"Page size (1 to {MAX_PAGE_SIZE}).")] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor", help="The page after this.")] = None,
) -> None:
    """One page of events, newest first: time, site, gate, decision, reason, person, company."""
    texts = dict(locals())  # the filter options, by the names event_filters takes
    limit, cursor = texts.pop("limit"), texts.pop("cursor")
    filters = _filters("search", **texts)
    with Session(make_engine(database_url())) as session:
        try:
            page = search_events(session=session, filters=filters, size=limit, after=cursor)
        except ServiceError as exc:
            raise _fail("search", exc.message) from None
    for item in page.items:
        who = item["person_name"] or item["person_id"] or "-"
        typer.echo(
            f"{item['occurred_at']}  {item['site_id']}/{item['gate_id']}  {item['decision']}  "
            f"{item['reason']}  {who}  {item['company'] or '-'}"
        )
    if page.next_cursor is not None:
        typer.echo(_("more: --cursor {cursor}", cursor=page.next_cursor), err=True)


@app.command("export")
def export_command(
    since: Since = None,
    until: Until = None,
    site: Site = None,
    gate: Gate = None,
    zone: Zone = None,
    reason: Reason = None,
    decision: DecisionOpt = None,
    person: PersonOpt = None,
    company: CompanyOpt = None,
    credential_kind: Kind = None,
    decided_by: By = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the CSV here (default stdout).")
    ] = None,
) -> None:
    """Every matching event as CSV, oldest first, streamed (any number of rows)."""
    texts = dict(locals())
    texts.pop("output")
    filters = _filters("export", **texts)
    if output is not None and not output.parent.is_dir():
        raise _fail("export", _("no such folder: {folder}", folder=output.parent))
    chunks = stream_events_csv(engine=make_engine(database_url()), filters=filters, site_scope=None)
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    with output.open("w", encoding="utf-8", newline="") as file:
        for chunk in chunks:
            file.write(chunk)
    typer.echo(_("events export: written to {file}", file=output), err=True)
