"""`portgate baseline check --site S`: findings with their fixes, a score, exit 1 on a must."""

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from central_api.baseline.checks import Report, evaluate
from central_api.baseline.facts import UnknownSite, site_facts
from central_api.baseline.profile import ProfileError, load_profile, shipped_profile
from central_api.config import Settings
from central_api.db import make_engine
from portgate.language import _

app = typer.Typer(help="The security baseline (ISPS level 1/2/3 profiles).", no_args_is_help=True)

_MARK = {"pass": "PASS", "fail": "FAIL", "not available": "N/A "}


@app.command("check")
def check_command(
    site: Annotated[str, typer.Option("--site", help="The site to check.")],
    profile: Annotated[
        Path | None,
        typer.Option(
            "--profile",
            help="A profile YAML file; default: the shipped 'EU port facility' profile of "
            "the site's current ISPS level (its threat level).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """Score a site against a baseline profile; exit 1 when a "must" is not met."""
    try:
        settings = Settings()
    except ValueError as exc:  # pydantic's ValidationError and SettingsError alike
        typer.echo(
            _("baseline check: the API's settings (its environment): {error}", error=exc), err=True
        )
        raise typer.Exit(code=2) from None
    try:
        with Session(make_engine(settings.database_url)) as session:
            facts = site_facts(session, site, settings)
        chosen = load_profile(profile or shipped_profile(facts.threat_level))
    except (UnknownSite, ProfileError) as exc:
        typer.echo(_("baseline check: {error}", error=exc), err=True)
        raise typer.Exit(code=2) from None
    report = evaluate(chosen, facts)
    typer.echo(report.model_dump_json(indent=2) if as_json else render(report))
    if not report.ok:
        raise typer.Exit(code=1)


def render(report: Report) -> str:
    """The report as lines of text: a header, then each finding and its fix."""
    lines = [
        _(
            "site {site} ({name}) against {profile}: score {score}/100, {failed} failed musts",
            site=report.site_id,
            name=report.site_name,
            profile=repr(report.profile),
            score=report.score,
            failed=report.failed_musts,
        )
    ]
    for finding in report.findings:
        lines.append(
            f"  {_MARK[finding.status]} {finding.severity:<6} {finding.requirement}: "
            f"{finding.detail}"
        )
        if finding.fix:
            lines.append("       " + _("fix: {fix}", fix=finding.fix))
    return "\n".join(lines)
