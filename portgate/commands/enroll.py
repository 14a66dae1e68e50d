"""`portgate enroll ...`: security-desk enrollment (HTTP client of the API).

Every command talks to the API at ``--api`` (or ``PORTGATE_API_URL``) with the token from
``--token``, ``PORTGATE_TOKEN`` or the file `portgate enroll login` wrote. Exit status: 0
done, 1 the API refused or a photo was rejected, 2 bad usage or not logged in. `sync` and
`sync-reports` (the HR sync, portgate/commands/hr/) work on the database at DATABASE_URL
instead, like `portgate groups`.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from enrollment import (
    EnrollClient,
    EnrollmentError,
    NotLoggedInError,
    count_rows,
    login,
    resolve_session,
    run_import,
    save_pass_files,
    save_token,
)
from enrollment.session import DEFAULT_API_URL
from gate_protocol.i18n.catalogs import N_
from portgate.commands.hr import sync_command, sync_reports_command
from portgate.language import _

app = typer.Typer(help="Security-desk enrollment (HTTP client of the API).", no_args_is_help=True)
person_app = typer.Typer(help="Add, update, revoke or erase a person.", no_args_is_help=True)
photo_app = typer.Typer(help="Add a photo (face template) to a person.", no_args_is_help=True)
badge_app = typer.Typer(help="Bind a badge to a person.", no_args_is_help=True)
pass_app = typer.Typer(help="Issue a signed QR pass and write it as PNG/PDF.", no_args_is_help=True)
app.add_typer(person_app, name="person")
app.add_typer(photo_app, name="photo")
app.add_typer(badge_app, name="badge")
app.add_typer(pass_app, name="pass")
# The HR sync works on the database, like `portgate groups` (issue 23.3).
app.command("sync")(sync_command)
app.command("sync-reports")(sync_reports_command)

ApiOption = Annotated[
    str | None, typer.Option("--api", help="API base URL (env PORTGATE_API_URL).")
]
TokenOption = Annotated[
    str | None, typer.Option("--token", help="Bearer token (env PORTGATE_TOKEN).")
]


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@contextmanager
def _client(api: str | None, token: str | None) -> Iterator[EnrollClient]:
    try:
        session = resolve_session(api_url=api, token=token)
    except NotLoggedInError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    try:
        with EnrollClient(api_url=session.api_url, token=session.token) as client:
            yield client
    except EnrollmentError as exc:
        typer.echo(_("enroll: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None


@app.command("login")
def login_command(
    user: Annotated[str, typer.Option("--user", help="Desk user name.")],
    api: ApiOption = None,
) -> None:
    """Log in and keep the token (mode 0600); password from a prompt or PORTGATE_PASSWORD."""
    password = os.environ.get("PORTGATE_PASSWORD") or typer.prompt(_("Password"), hide_input=True)
    url = api or os.environ.get("PORTGATE_API_URL") or DEFAULT_API_URL
    try:
        ask = partial(typer.prompt, _("Code from your authenticator app"))  # TOTP users
        token = login(api_url=url, username=user, password=password, ask_code=ask)
    except EnrollmentError as exc:
        typer.echo(_("enroll login: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(_("logged in as {user}; token saved to {file}", user=user, file=save_token(token)))


_LANGUAGE_HELP = N_("Language of the lane display, as a code: en, nl, pl, tr and so on.")


@person_app.command("add")
def person_add(
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    kind: Annotated[str, typer.Option("--kind", help="staff, contractor, driver or visitor.")],
    site: Annotated[str, typer.Option("--site", help="Site id.")],
    company: Annotated[str | None, typer.Option(help="Company name.")] = None,
    valid_from: Annotated[datetime | None, typer.Option(help="Valid from (UTC).")] = None,
    valid_until: Annotated[datetime | None, typer.Option(help="Valid until (UTC).")] = None,
    group: Annotated[list[str] | None, typer.Option(help="Access group (repeat).")] = None,
    competency: Annotated[
        list[str] | None, typer.Option(help="NAME or NAME:YYYY-MM-DD (repeat).")
    ] = None,
    external_id: Annotated[str | None, typer.Option(help="Id in the site's own system.")] = None,
    badge: Annotated[str | None, typer.Option(help="Badge number to bind.")] = None,
    language: Annotated[str | None, typer.Option(help=_LANGUAGE_HELP)] = None,
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Add a person; prints the person (with the new id) as JSON."""
    competencies = []
    for item in competency or []:
        name_part, _, until = item.partition(":")
        entry: dict[str, str] = {"name": name_part}
        if until:
            entry["valid_until"] = f"{until}T23:59:59+00:00"
        competencies.append(entry)
    body: dict[str, Any] = {
        "site_id": site,
        "display_name": name,
        "kind": kind,
        "company": company,
        "valid_from": _utc(valid_from),
        "valid_until": _utc(valid_until),
        "access_groups": group or [],
        "competencies": competencies,
        "external_id": external_id,
        "badge": {"number": badge} if badge else None,
        "preferred_language": language,
    }
    with _client(api, token) as client:
        _echo_json(client.create_person(body))


def _utc(value: datetime | None) -> str | None:
    return None if value is None else _as_utc(value).isoformat()


@person_app.command("update")
def person_update(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    name: Annotated[str | None, typer.Option("--name", help="New full name.")] = None,
    valid_from: Annotated[datetime | None, typer.Option(help="Valid from (UTC).")] = None,
    valid_until: Annotated[datetime | None, typer.Option(help="Valid until (UTC).")] = None,
    status: Annotated[str | None, typer.Option(help="active or suspended.")] = None,
    language: Annotated[str | None, typer.Option(help=_LANGUAGE_HELP)] = None,
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Change a person's name, validity, status or language."""
    changes = {
        k: v
        for k, v in {
            "display_name": name,
            "valid_from": _utc(valid_from),
            "valid_until": _utc(valid_until),
            "status": status,
            "preferred_language": language,
        }.items()
        if v is not None
    }
    if not changes:
        typer.echo(_("person update: nothing to change"), err=True)
        raise typer.Exit(code=2)
    with _client(api, token) as client:
        _echo_json(client.update_person(person_id, changes))


@person_app.command("activate")
def person_activate(
    person_id: Annotated[str, typer.Argument(help="Person id (the identity enrolled once).")],
    site: Annotated[str, typer.Option("--site", help="The site that activates them.")],
    group: Annotated[list[str] | None, typer.Option(help="Site access group (repeat).")] = None,
    valid_from: Annotated[datetime | None, typer.Option(help="Valid from (UTC).")] = None,
    valid_until: Annotated[datetime | None, typer.Option(help="Valid until (UTC).")] = None,
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Activate an identity enrolled at another terminal at this site, with its groups."""
    body = {
        "site_id": site,
        "access_groups": group or [],
        "valid_from": _utc(valid_from),
        "valid_until": _utc(valid_until),
    }
    with _client(api, token) as client:
        _echo_json(client.activate_person(person_id, body))


@person_app.command("revoke")
def person_revoke(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Revoke a person: every gate denies them from now on."""
    with _client(api, token) as client:
        _echo_json(client.revoke_person(person_id))


@person_app.command("erase")
def person_erase(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Erase a person and their templates everywhere (GDPR Art. 17); cannot be undone."""
    if not yes:
        typer.confirm(_("Erase {person} and all their data?", person=person_id), abort=True)
    with _client(api, token) as client:
        _echo_json(client.erase_person(person_id))


@person_app.command("find")
def person_find(
    query: Annotated[str, typer.Argument(help="Name, person id, external id or badge.")],
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Find people."""
    with _client(api, token) as client:
        _echo_json(client.find_people(query))


@person_app.command("export")
def person_export(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    out: Annotated[Path | None, typer.Option(help="Write the JSON here.")] = None,
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Everything held about a person as JSON (subject access request)."""
    with _client(api, token) as client:
        data = client.export_person(person_id)
    if out:
        out.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        typer.echo(_("written {file}", file=out))
    else:
        _echo_json(data)


@photo_app.command("add")
def photo_add(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    images: Annotated[list[Path], typer.Argument(help="Photo file(s).")],
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Add photos; each is accepted, rejected with reasons, or held as a possible duplicate."""
    failed = False
    with _client(api, token) as client:
        for image in images:
            if not image.is_file():
                typer.echo(_("{file}: no such file", file=image), err=True)
                failed = True
                continue
            outcome = client.add_photo(person_id, image.read_bytes(), name=image.name)
            failed |= outcome["status"] != "accepted"
            _echo_json({"photo": str(image), **outcome})
    if failed:
        raise typer.Exit(code=1)


@photo_app.command("confirm")
def photo_confirm(
    pending_id: Annotated[str, typer.Argument(help="Pending id from a duplicate hit.")],
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Confirm a duplicate hit as the second desk user (log in as yourself first)."""
    with _client(api, token) as client:
        _echo_json(client.confirm_pending(pending_id))


@photo_app.command("reject")
def photo_reject(
    pending_id: Annotated[str, typer.Argument(help="Pending id from a duplicate hit.")],
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Drop a face held as a possible duplicate."""
    with _client(api, token) as client:
        client.reject_pending(pending_id)
    typer.echo(_("pending face {id} rejected", id=pending_id))


@badge_app.command("bind")
def badge_bind(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    number: Annotated[str, typer.Argument(help="Badge number.")],
    badge_format: Annotated[
        str | None, typer.Option("--format", help="wiegand26, wiegand34, raw or keypad.")
    ] = None,
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Bind a badge number to a person."""
    with _client(api, token) as client:
        _echo_json(client.bind_badge(person_id, number, badge_format=badge_format))


@pass_app.command("issue")
def pass_issue(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    gate: Annotated[list[str], typer.Option("--gate", help="Gate id (repeat).")],
    start: Annotated[datetime, typer.Option("--from", help="Window start (UTC).")],
    end: Annotated[datetime, typer.Option("--until", help="Window end (UTC).")],
    plate: Annotated[str | None, typer.Option(help="Truck plate.")] = None,
    reusable: Annotated[bool, typer.Option(help="Valid for more than one passage.")] = False,
    language: Annotated[str | None, typer.Option(help=_LANGUAGE_HELP)] = None,
    photo: Annotated[Path | None, typer.Option(help="Photo printed on the pass.")] = None,
    png: Annotated[Path | None, typer.Option(help="Write the pass as PNG here.")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write the pass as PDF here.")] = None,
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Issue a signed QR pass for a truck visit and write it as PNG and/or PDF."""
    targets: dict[Literal["png", "pdf"], Path] = {}
    if png:
        targets["png"] = png
    if pdf:
        targets["pdf"] = pdf
    with _client(api, token) as client:
        issued = client.issue_pass(
            person_id,
            gates=gate,
            window_start=_as_utc(start),
            window_end=_as_utc(end),
            plate=plate,
            one_time=not reusable,
            language=language,
        )
        written = save_pass_files(
            client=client,
            pass_id=issued["pass_id"],
            targets=targets,
            photo=photo.read_bytes() if photo else None,
        )
    _echo_json({**issued, "files": [str(p) for p in written]})


def _as_utc(value: datetime) -> datetime:
    # A time typed without an offset is UTC, as every time at PortGate is.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command("import")
def import_command(
    csv_file: Annotated[Path, typer.Argument(help="CSV file.")],
    photos: Annotated[Path, typer.Argument(help="Photo folder.")],
    site: Annotated[str | None, typer.Option(help="Site id for rows without one.")] = None,
    report: Annotated[
        Path, typer.Option(help="Where to write rejected rows and photos (CSV).")
    ] = Path("import-report.csv"),
    api: ApiOption = None,
    token: TokenOption = None,
) -> None:
    """Bulk import a CSV plus a folder of photos (resumable: a re-run skips what is done)."""
    from rich.progress import (  # noqa: PLC0415 (keeps the CLI start cheap)
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    if not csv_file.is_file():
        typer.echo(_("import: no such file {file}", file=csv_file), err=True)
        raise typer.Exit(code=2)
    total = count_rows(csv_file)
    with (
        _client(api, token) as client,
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        ) as progress,
    ):
        task = progress.add_task("importing", total=total)
        result = run_import(
            client=client,
            csv_file=csv_file,
            photo_folder=photos,
            site_id=site,
            on_result=lambda _: progress.advance(task),
        )
    report.write_text(result.to_csv(), encoding="utf-8")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
    typer.echo(
        _("import: {counts}; problems in {file}", counts=counts or _("no rows"), file=report)
    )
    if any(r.status in ("rejected", "error") for r in result.results):
        raise typer.Exit(code=1)
