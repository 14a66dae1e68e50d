"""Broker accounts of the API's worker connections, derived from the API's own account.

The generated broker config sets ``use_username_as_clientid``: a connection's client id is
its user name, so no node can take over another's session. `portgate api --workers N`
opens two connections per worker (the persistent ingest session and the live feed), and
with one shared user they would all get the same client id and knock each other off. So
every API connection has its own broker user, named by `connection_user`
(``<api user>-wINDEX`` and ``<api user>-wINDEX-live``), whose password is derived from the
API user's password by `connection_password` (HMAC-SHA256): `portgate broker users` writes
these users from the site config's ``api_workers``, and each worker derives its own
credentials from ``MQTT_URL``. The `portgate` CLI, which publishes the sync notices of the
changes it commits with the API's ``MQTT_URL``, logs in as `cli_user` (``<api user>-cli``)
the same way: as the API user itself it would take over a single-process API's client id
and, with its clean start, wipe the API's persistent session and the events queued in it.
Knowing the API password gives nothing beyond what the API user already may; one leaked
derived password does not reveal the API password.
"""

import base64
import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

__all__ = [
    "api_connection_users",
    "cli_user",
    "connection_password",
    "connection_user",
    "derived_url",
]

_CONTEXT = b"portgate-broker-connection:"


def connection_user(api_user: str, *, worker: int, live: bool) -> str:
    """The broker user (and so client id) of one API worker connection."""
    name = f"{api_user}-w{worker}"
    return f"{name}-live" if live else name


def cli_user(api_user: str) -> str:
    """The broker user (and so client id) of the `portgate` CLI's short connections."""
    return f"{api_user}-cli"


def connection_password(api_password: str, *, username: str) -> str:
    """The password of the derived broker user `username` (43 URL-safe characters)."""
    digest = hmac.new(api_password.encode(), _CONTEXT + username.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def api_connection_users(api_user: str, *, workers: int) -> list[str]:
    """Every connection user of `workers` API workers: ingest then live, per worker."""
    return [
        connection_user(api_user, worker=index, live=live)
        for index in range(workers)
        for live in (False, True)
    ]


def derived_url(url: str, *, user: Callable[[str], str]) -> str:
    """`url` (an MQTT_URL) logged in as ``user(its user)`` with that user's derived password.

    A URL without a user (an anonymous test broker) is returned as it is.
    """
    parts = urlsplit(url)
    if not parts.username or parts.hostname is None:
        return url
    name = user(unquote(parts.username))
    password = connection_password(unquote(parts.password or ""), username=name)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{quote(name, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))
