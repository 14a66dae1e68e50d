"""`portgate enroll sync FILE|--ldap --site SITE [--apply]` and `portgate enroll sync-reports`.

Exit status: 0 done (the diff printed, applied with ``--apply``), 1 the directory could
not be reached, 2 bad usage (no source or two, an unknown site, an unreadable file or a
missing column, a service account the directory refuses, a source that lists nobody while
the site has people to lose). Nothing is changed on any error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, col, select

from central_api.audit.chain import ensure_audit_head
from central_api.bus.notice_sender import recording_session
from central_api.config import database_url
from central_api.db import make_engine
from central_api.hr_sync.apply import apply_plan, load_members
from central_api.hr_sync.plan import plan_sync
from central_api.hr_sync.sources import HrSourceError, Source, read_csv, read_directory
from central_api.models import HrSyncReport, Site
from central_api.security.directory import DirectoryUnavailable
from portgate.commands.sync_notices import deliver_notices
from portgate.commands.users import cli_actor
from portgate.language import _

__all__ = ["sync_command", "sync_reports_command"]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(_("enroll sync: {error}", error=message), err=True)
    return typer.Exit(code=code)


def _source(file: Path | None, ldap: bool) -> Source:
    if (file is None) == (not ldap):
        raise _fail(_("give either FILE (an HR CSV export) or --ldap, not both or neither"), 2)
    try:
        return read_csv(file) if file is not None else read_directory()
    except HrSourceError as exc:
        raise _fail(str(exc), 2) from None
    except DirectoryUnavailable as exc:
        raise _fail(exc.message, 1) from None


def sync_command(
    file: Annotated[
        Path | None, typer.Argument(help="HR CSV export: employee_number,name,email,company.")
    ] = None,
    site: Annotated[str, typer.Option(help="The site whose people HR's list is.")] = "",
    ldap: Annotated[
        bool, typer.Option("--ldap", help="Read the people from the directory.")
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Apply the diff (default: dry run).")
    ] = False,
) -> None:
    """Compare HR's people with the site's and print the diff; apply it with --apply."""
    if not site:
        raise _fail(_("--site is required"), 2)
    source = _source(file, ldap)
    engine = make_engine(database_url())
    with Session(engine) as look:
        if look.get(Site, site) is None:
            raise _fail(_("no site {site}", site=repr(site)), 2)
        plan = plan_sync(load_members(session=look, site_id=site), source)
    if not source.entries and not source.skipped and plan.leavers:
        # An empty export or a wrong search base looks exactly like everybody leaving.
        raise _fail(
            _(
                "{source} lists nobody: refusing to revoke all {count} people "
                "(check the file or PORTGATE_LDAP_PEOPLE_BASE / _FILTER)",
                source=source.label,
                count=len(plan.leavers),
            ),
            2,
        )
    for line in plan.lines():
        typer.echo(line)
    typer.echo(
        _("{source} at {site}: {summary}", source=source.label, site=site, summary=plan.summary())
    )
    if not apply:
        typer.echo(_("dry run: nothing changed (--apply to apply)"))
        return
    ensure_audit_head(engine=engine)
    session, bus = recording_session(engine)
    with session:
        report = apply_plan(
            session=session, site_id=site, plan=plan, source=source.label, actor=cli_actor()
        )
        typer.echo(
            _("applied: report {id} (portgate enroll sync-reports --show {id})", id=report.id)
        )
    deliver_notices(bus, command="enroll sync")


def sync_reports_command(
    site: Annotated[str | None, typer.Option(help="Only this site's reports.")] = None,
    show: Annotated[int | None, typer.Option(help="Print this report's lines.")] = None,
) -> None:
    """List the reports of applied HR syncs, newest first, or print one with --show."""
    engine = make_engine(database_url())
    with Session(engine) as session:
        if show is not None:
            report = session.get(HrSyncReport, show)
            if report is None:
                raise _fail(_("no sync report {id}", id=show), 2)
            typer.echo(
                _(
                    "report {id}: {source} at {site}, {time} UTC by {actor}",
                    id=report.id,
                    source=report.source,
                    site=report.site_id,
                    time=f"{report.ran_at:%Y-%m-%d %H:%M}",
                    actor=report.actor,
                )
            )
            for line in json.loads(report.lines):
                typer.echo(line)
            return
        query = select(HrSyncReport).order_by(col(HrSyncReport.id).desc())
        if site is not None:
            query = query.where(HrSyncReport.site_id == site)
        for row in session.exec(query).all():
            typer.echo(
                f"{row.id}\t{row.ran_at:%Y-%m-%d %H:%M}\t{row.site_id}\t{row.source}\t"
                f"+{row.joined} ~{row.changed} -{row.left} !{row.skipped}\t{row.actor}"
            )
