"""`portgate users ...`: dashboard and desk users."""

import getpass
import os
from typing import Annotated

import typer
from sqlmodel import Session

from central_api.audit.chain import ensure_audit_head
from central_api.config import Settings, database_url
from central_api.crud.password_resets import issue_reset_link
from central_api.crud.users import create_user, get_user, set_user_password, set_user_site
from central_api.db import make_engine
from central_api.errors import NotFoundError, ServiceError
from central_api.models import Role
from central_api.security.totp.store import reset_totp
from portgate.language import _

app = typer.Typer(help="Dashboard and desk users.", no_args_is_help=True)


def cli_actor() -> str:
    """The audit actor of a CLI change: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[
        str, typer.Option(help="admin, security_desk, operator or authority (port-wide, no site).")
    ],
    site: Annotated[
        str | None,
        typer.Option(
            help="The user's site: required for operators and desks; an admin without one "
            "is site-wide (every site)."
        ),
    ] = None,
) -> None:
    """Add a user with a role; the password comes from a prompt or PORTGATE_PASSWORD."""
    try:
        parsed_role = Role(role)
    except ValueError:
        typer.echo(
            _(
                "unknown role {role}: use admin, security_desk, operator or authority",
                role=repr(role),
            ),
            err=True,
        )
        raise typer.Exit(code=2) from None
    password = os.environ.get("PORTGATE_PASSWORD")
    if not password:
        password = typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            create_user(
                session=session,
                username=name,
                password=password,
                role=parsed_role,
                site_id=site,
                actor=cli_actor(),
            )
    except ServiceError as exc:
        typer.echo(_("users add: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None
    where = _("site {site}", site=site) if site else _("every site")
    typer.echo(
        _("user {name} added with role {role} ({where})", name=name, role=parsed_role, where=where)
    )


@app.command("site")
def site_command(
    name: Annotated[str, typer.Argument(help="Login name.")],
    site: Annotated[
        str | None, typer.Option(help="The site to bind the user to; omit: site-wide (admins).")
    ] = None,
) -> None:
    """Bind a user to a site (or make an admin site-wide)."""
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            set_user_site(session=session, username=name, site_id=site, actor=cli_actor())
    except ServiceError as exc:
        typer.echo(_("users site: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None
    where = _("site {site}", site=site) if site else _("every site")
    typer.echo(_("user {name} now sees {where}", name=name, where=where))


@app.command("passwd")
def passwd_command(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Set a user's password (prompt or PORTGATE_PASSWORD); every session it had ends."""
    password = os.environ.get("PORTGATE_PASSWORD")
    if not password:
        password = typer.prompt(_("New password"), hide_input=True, confirmation_prompt=True)
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            set_user_password(session=session, username=name, password=password, actor=cli_actor())
    except ServiceError as exc:
        typer.echo(_("users passwd: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(_("password of {name} changed; its sessions and tokens have ended", name=name))


@app.command("reset-link")
def reset_link_command(
    name: Annotated[str, typer.Argument(help="Login name.")],
    base_url: Annotated[
        str,
        typer.Option(
            envvar="PORTGATE_PUBLIC_URL",
            help="The address users reach the API at (the link starts with it).",
        ),
    ] = "http://127.0.0.1:8000",
) -> None:
    """Print a one-time password reset link for a user (valid 24 h; shown once, audited)."""
    settings = Settings()
    if settings.dev_mode and not os.environ.get("PORTGATE_SECRET_KEY"):
        # Dev mode draws a fresh secret per process: the API could never check this link.
        typer.echo(_("users reset-link: set PORTGATE_SECRET_KEY to the API's secret"), err=True)
        raise typer.Exit(code=2)
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            issued = issue_reset_link(
                session=session, username=name, actor=cli_actor(), key=settings.jwt_secret()
            )
    except ServiceError as exc:
        typer.echo(_("users reset-link: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"{base_url.rstrip('/')}/reset#{issued.token}")
    typer.echo(
        _(
            "valid once, until {time}; older links of {name} died",
            time=issued.expires_at.isoformat(),
            name=name,
        )
    )


@app.command("totp-reset")
def totp_reset_command(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Take a user's two-step login (TOTP) off, e.g. a lost phone; their sessions end (audited).

    An admin or authority user sets it up again at their next login.
    """
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    try:
        with Session(engine) as session:
            user = get_user(session=session, username=name)
            if user is None:
                raise NotFoundError(f"user {name!r} not found")
            reset_totp(session=session, user=user, actor=cli_actor())
    except ServiceError as exc:
        typer.echo(_("users totp-reset: {error}", error=exc.message), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(
        _(
            "two-step login of {name} reset; its sessions have ended: it is set up again "
            "at the next login",
            name=name,
        )
    )
