"""`portgate audit ...`: the hash-chained audit log and its published heads."""

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlmodel import Session

from central_api.audit.anchor import (
    HeadFormatError,
    current_head,
    parse_head,
    read_heads_file,
    verify_against_heads,
)
from central_api.audit.chain import AuditVerdict, verify_chain
from central_api.audit.event_chain import (
    EventVerdict,
    SealRefused,
    seal_uncovered_events,
    verify_events,
)
from central_api.config import database_url
from central_api.db import make_engine
from gate_protocol.messages import AuditHead
from portgate.language import _

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command("head")
def head_command(
    as_json: Annotated[bool, typer.Option("--json", help="The head's JSON line.")] = False,
) -> None:
    """Print the chain's head as SEQ:HASH (keep it somewhere the database's owner cannot)."""
    with Session(make_engine(database_url())) as session:
        head = current_head(session)
    typer.echo(head.model_dump_json() if as_json else f"{head.seq}:{head.hash}")


@app.command("verify")
def verify_command(
    head: Annotated[
        list[str] | None,
        typer.Option(
            "--head",
            help="A published head, SEQ:HASH, or a file of heads (one JSON line or SEQ:HASH "
            "a line): the chain's row at that seq must have that hash. Repeatable.",
        ),
    ] = None,
) -> None:
    """Walk the hash chain (and check it against published heads), then every stored event.

    Exits 1 at the first break of the chain, or when an event was edited, deleted or
    inserted (each one named).
    """
    heads = _load_heads(head or [])
    with Session(make_engine(database_url())) as session:
        verdict = verify_chain(session=session)
        anchored = verify_against_heads(session, heads) if verdict.ok and heads else None
        events = verify_events(session=session) if verdict.ok else None
    if not verdict.ok:
        _fail(verdict)
    typer.echo(_("audit chain intact: {count} rows", count=verdict.checked))
    if anchored is not None:
        if not anchored.ok:
            _fail(anchored)
        typer.echo(_("audit chain matches {count} published heads", count=anchored.checked))
    if events is not None:
        _report_events(events)


@app.command("seal-events")
def seal_events_command() -> None:
    """Cover the events stored before coverage began (run once, after migration 0022)."""
    with Session(make_engine(database_url())) as session:
        try:
            count = seal_uncovered_events(session=session)
        except SealRefused as exc:
            typer.echo(_("audit seal-events: {error}", error=exc), err=True)
            raise typer.Exit(code=1) from None
        session.commit()
    typer.echo(_("sealed {count} events stored before coverage began", count=count))


def _report_events(events: EventVerdict) -> None:
    if events.not_covered:
        began = events.coverage_began
        since = _("before {time}", time=began.isoformat()) if began else _("no batch recorded yet")
        typer.echo(
            _(
                "{count} events not covered ({since}): stored before coverage; "
                "`portgate audit seal-events` covers them once",
                count=events.not_covered,
                since=since,
            )
        )
    if not events.ok:
        for problem in events.problems:
            typer.echo(_("event tampering: {problem}", problem=problem), err=True)
        if events.problem_count > len(events.problems):
            more = events.problem_count - len(events.problems)
            typer.echo(_("... and {count} more", count=more), err=True)
        typer.echo(
            _(
                "events BROKEN: {problems} problems in {count} events",
                problems=events.problem_count,
                count=events.checked,
            ),
            err=True,
        )
        raise typer.Exit(code=1)
    typer.echo(
        _(
            "events intact: {count} events in {batches} batches",
            count=events.checked,
            batches=events.batches,
        )
    )


def _load_heads(values: list[str]) -> list[AuditHead]:
    heads: list[AuditHead] = []
    try:
        for value in values:
            path = Path(value)
            heads += read_heads_file(path) if path.is_file() else [parse_head(value)]
    except (HeadFormatError, OSError) as exc:
        typer.echo(_("--head: {error}", error=exc), err=True)
        raise typer.Exit(code=2) from None
    return heads


def _fail(verdict: AuditVerdict) -> NoReturn:
    typer.echo(
        _(
            "audit chain BROKEN at seq {seq}: {error}",
            seq=verdict.broken_seq,
            error=verdict.message,
        ),
        err=True,
    )
    raise typer.Exit(code=1)
