"""`portgate report NAME` writes a report (CSV to standard output); `schedule` writes a folder.

Reads the database at DATABASE_URL like the other commands. Bad input (an unknown report,
site or format, a period the wrong way round) is one error line and exit 2, and nothing
is written.
"""

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from central_api.config import database_url
from central_api.db import make_engine, utc_now
from central_api.reports.build import REPORTS, build_report, check_format, report_zone
from central_api.reports.period import (
    DEFAULT_SHIFTS,
    Period,
    ReportInputError,
    parse_moment,
    parse_shifts,
    resolve_period,
)
from central_api.reports.render import RenderedReport, render_report, report_file_name
from central_api.reports.schedule import Every, last_period, write_once
from gate_protocol.i18n import N_
from portgate.commands.users import cli_actor
from portgate.language import _

app = typer.Typer(
    help="Reports (access, alarms, companies, overrides) as CSV, XLSX or PDF.",
    no_args_is_help=True,
)

SiteOption = Annotated[
    str | None, typer.Option("--site", help="One site; default: every site (port-wide).")
]
ShiftsOption = Annotated[
    str, typer.Option("--shifts", help="Operator shift start hours (UTC) for the alarms report.")
]
_SHIFTS = "6,14,22"


def _fail(command: str, message: str) -> typer.Exit:
    typer.echo(_("report {command}: {error}", command=command, error=message), err=True)
    return typer.Exit(code=2)


def _render(
    name: str, *, site: str | None, period: Period, fmt: str, shifts: str, label: str | None
) -> RenderedReport:
    with Session(make_engine(database_url())) as session:
        report = build_report(
            session=session,
            name=name,
            site_id=site,
            period=period,
            generated_by=cli_actor(),
            now=utc_now(),
            shifts=parse_shifts(shifts) if shifts != _SHIFTS else DEFAULT_SHIFTS,
        )
    return render_report(report, fmt, label=label)


def _zone(site: str | None) -> str:
    # Dates and shifts are the site's local ones (a port-wide report: UTC).
    with Session(make_engine(database_url())) as session:
        return report_zone(session=session, site_id=site)


def _report_command(name: str) -> None:
    def command(
        site: SiteOption = None,
        start: Annotated[
            str | None,
            typer.Option(
                "--from", help="From this date (the site's) or time; default 30 days ago."
            ),
        ] = None,
        end: Annotated[
            str | None, typer.Option("--to", help="To this date (inclusive) or time; default now.")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or pdf.")] = "csv",
        output: Annotated[
            Path | None, typer.Option("--output", help="The file; default: CSV to standard output.")
        ] = None,
        shifts: ShiftsOption = _SHIFTS,
    ) -> None:
        try:
            check_format(fmt)
            if fmt != "csv" and output is None:
                raise ReportInputError(f"a {fmt} report needs --output FILE")
            if output is not None and not output.parent.is_dir():
                raise ReportInputError(f"no folder {str(output.parent)!r} for --output")
            period = resolve_period(start, end, now=utc_now(), zone=_zone(site))
            rendered = _render(name, site=site, period=period, fmt=fmt, shifts=shifts, label=None)
        except ReportInputError as exc:
            raise _fail(name, str(exc)) from None
        if output is None:
            typer.echo(rendered.content.decode("utf-8"), nl=False)
            return
        output.unlink(missing_ok=True)
        write_once(output, rendered.content)
        typer.echo(_("wrote {file}", file=output), err=True)

    command.__doc__ = f"The {name} report (docs/reports.md)."
    app.command(name)(command)


# The catalogs' copies of the docstrings above, one a report (translated when shown; a new
# report's stays English until it is added here: tests/portgate/test_cli_languages.py).
N_("The access report (docs/reports.md).")
N_("The alarms report (docs/reports.md).")
N_("The companies report (docs/reports.md).")
N_("The overrides report (docs/reports.md).")


for _name in REPORTS:
    _report_command(_name)


@app.command("schedule")
def schedule_command(
    folder: Annotated[Path, typer.Option("--folder", help="Where the files go (must exist).")],
    every: Annotated[str, typer.Option("--every", help="daily, weekly or monthly.")],
    site: SiteOption = None,
    formats: Annotated[
        list[str] | None, typer.Option("--format", help="csv, xlsx or pdf (repeat); default pdf.")
    ] = None,
    names: Annotated[
        list[str] | None, typer.Option("--report", help="Which reports (repeat); default all.")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Run as if it were this time (UTC); default now.")
    ] = None,
    shifts: ShiftsOption = _SHIFTS,
) -> None:
    """Write the period just ended's reports into FOLDER; files already there are kept."""
    try:
        if every not in ("daily", "weekly", "monthly"):
            raise ReportInputError(f"--every {every!r}: daily, weekly or monthly")
        if not folder.is_dir():
            raise ReportInputError(f"no folder {str(folder)!r}")
        chosen = [check_format(f) for f in formats or ["pdf"]]
        wanted = names or list(REPORTS)
        for name in wanted:
            if name not in REPORTS:
                raise ReportInputError(f"unknown report {name!r}: one of {', '.join(REPORTS)}")
        now = parse_moment(at, end=False) if at else utc_now()
        period, label = last_period(_every(every), now, _zone(site))
        # Every report is computed before the first file is written: a bad site writes none.
        files = [
            _render(name, site=site, period=period, fmt=fmt, shifts=shifts, label=label)
            if not (folder / report_file_name(name, site, label, fmt)).exists()
            else report_file_name(name, site, label, fmt)
            for name in wanted
            for fmt in chosen
        ]
    except ReportInputError as exc:
        raise _fail("schedule", str(exc)) from None
    for rendered in files:
        if isinstance(rendered, str):
            typer.echo(_("kept {file}", file=folder / rendered))
            continue
        path = folder / rendered.file_name
        written = write_once(path, rendered.content)
        typer.echo(_("wrote {file}", file=path) if written else _("kept {file}", file=path))


def _every(value: str) -> Every:
    if value == "daily":
        return "daily"
    return "weekly" if value == "weekly" else "monthly"
