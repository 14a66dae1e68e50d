"""Tell the gates about what a CLI command changed: the SyncNotices its commits released.

Used by the commands that write the database directly (`gates add`, `db upgrade`, and
through `cli_change` bans, companies, visitors and watchlist); the
notices go to the broker at `MQTT_URL` (the API's credentials: it may publish on the sync
topics), over a short-lived connection of their own, logged in as the CLI's derived broker
user (`gate_protocol.broker_accounts.cli_user`, written by `portgate broker users`), never as
the API user itself, whose client id a running API holds. TLS files as the API's
(`PORTGATE_MQTT_CA_FILE`, `PORTGATE_MQTT_CERT_FILE`, `PORTGATE_MQTT_KEY_FILE`).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlmodel import Session

from central_api.audit.chain import ensure_audit_head
from central_api.bus.mqtt import NullBus
from central_api.bus.notice_sender import NoticeError, recording_session, send_notices
from central_api.config import MqttTlsSettings, database_url
from central_api.db import make_engine
from central_api.errors import ServiceError
from gate_protocol.broker_accounts import cli_user, derived_url
from gate_protocol.mqtt_connection import MqttConnectionError
from portgate.language import _

__all__ = ["cli_change", "deliver_notices"]

# As central_api.config reads PORTGATE_MQTT_WORKER_USERS (off: a broker without
# use_username_as_clientid, where every connection may log in as the API user).
_OFF = ("0", "f", "false", "n", "no", "off")


def deliver_notices(bus: NullBus, *, command: str) -> None:
    """Publish what `bus` recorded; warn (never fail: the change is committed) if it cannot."""
    if not bus.published:
        return
    url = os.environ.get("MQTT_URL")
    if not url:
        typer.echo(
            _(
                "{command}: MQTT_URL is not set: the gates learn this change at their next sync",
                command=command,
            ),
            err=True,
        )
        return
    if os.environ.get("PORTGATE_MQTT_WORKER_USERS", "true").lower() not in _OFF:
        url = derived_url(url, user=cli_user)
    try:
        connection = MqttTlsSettings().mqtt_connection(url)
        sent = send_notices(bus.published, connection=connection)
    except (NoticeError, MqttConnectionError) as exc:
        typer.echo(
            _(
                "{command}: gates not told ({error}); they learn it at their next sync",
                command=command,
                error=exc,
            ),
            err=True,
        )
        return
    typer.echo(
        _("{command}: {count} sync notice(s) published to the gates", command=command, count=sent),
        err=True,
    )


@contextmanager
def cli_change(command: str) -> Iterator[Session]:
    """A session on `DATABASE_URL` for one audited change made by `command`.

    The change's sync notices go to the gates once it is committed; a refused change
    (`ServiceError`) is one error line naming `command` and exit 1, and sends nothing.
    """
    engine = make_engine(database_url())
    ensure_audit_head(engine=engine)
    session, bus = recording_session(engine)
    try:
        with session:
            yield session
    except ServiceError as exc:
        typer.echo(_("{command}: {error}", command=command, error=exc.message), err=True)
        raise typer.Exit(code=1) from None
    deliver_notices(bus, command=command)
