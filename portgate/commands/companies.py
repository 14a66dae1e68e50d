"""`portgate companies ...`: a company's status (suspend, flag, clear) and the list.

Writes the database at DATABASE_URL directly, audited as the operating-system user
(``cli:NAME``); the gates are told through the SyncNotices the change releases (MQTT_URL).
"""

from typing import Annotated

import typer
from sqlmodel import Session

from central_api.config import database_url
from central_api.crud.companies import find_company, list_companies, set_company_status
from central_api.db import make_engine
from gate_protocol.records import CompanyStatus
from portgate.commands.sync_notices import cli_change
from portgate.commands.users import cli_actor
from portgate.language import _

app = typer.Typer(help="Transport companies and contractors: their status.", no_args_is_help=True)

CompanyArg = Annotated[str, typer.Argument(help="The company's id or name (any case).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the history).")]


def _set(company: str, status: CompanyStatus, reason: str, command: str) -> None:
    with cli_change(f"companies {command}") as session:
        row = find_company(session=session, ref=company)
        assert row.id is not None  # noqa: S101 (stored)
        changed = set_company_status(
            session=session, company_id=row.id, status=status, reason=reason, actor=cli_actor()
        )
        name = changed.name
    typer.echo(_("company {name} is now {status}", name=name, status=status))


@app.command("suspend")
def suspend_command(company: CompanyArg, reason: ReasonOption = "") -> None:
    """Suspend a company: every badge, pass and appointment of its people is refused."""
    _set(company, CompanyStatus.SUSPENDED, reason, "suspend")


@app.command("flag")
def flag_command(company: CompanyArg, reason: ReasonOption = "") -> None:
    """Flag a company: its people pass with a face check at every gate and an alarm each time."""
    _set(company, CompanyStatus.FLAGGED, reason, "flag")


@app.command("clear")
def clear_command(company: CompanyArg, reason: ReasonOption = "") -> None:
    """Make a suspended or flagged company active again."""
    _set(company, CompanyStatus.ACTIVE, reason, "clear")


@app.command("list")
def list_command() -> None:
    """Every company: id, status, people, name and the reason of its status."""
    engine = make_engine(database_url())
    with Session(engine) as session:
        rows = list_companies(session=session)
    if not rows:
        typer.echo(_("no companies"))
        return
    for company, people in rows:
        why = f"  ({company.status_reason})" if company.status_reason else ""
        typer.echo(f"{company.id:>5}  {company.status:<9}  {people:>5}  {company.name}{why}")
