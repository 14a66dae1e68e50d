"""Writing a site's broker files: password file, ACL file and mosquitto.conf.

Passwords come from the environment (``<prefix><USER>``) or are generated with `secrets`;
generated ones are written once to ``credentials.env`` (mode 0600) for the operator to
hand to each node, and never logged. The API's worker-connection users get passwords
derived from the API user's (`gate_protocol.broker_accounts`), so only the API's own
password needs handing over.
"""

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate_protocol.broker_accounts import connection_password
from portgate.broker.mosquitto_acl import render_acl
from portgate.broker.mosquitto_auth import hash_password, new_password
from portgate.broker.site_config import BrokerTls, SiteConfig, broker_users

__all__ = [
    "BrokerConfigError",
    "BrokerFiles",
    "is_loopback",
    "render_mosquitto_conf",
    "write_broker_files",
]


class BrokerConfigError(ValueError):
    """The asked-for broker config would be unsafe or cannot work."""


@dataclass(frozen=True, slots=True)
class BrokerFiles:
    """What write_broker_files wrote."""

    passwd: Path
    acl: Path
    credentials: Path | None
    users: tuple[str, ...]
    generated: tuple[str, ...]


def _write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_broker_files(
    site: SiteConfig, *, out_dir: Path, environ: Mapping[str, str] | None = None
) -> BrokerFiles:
    """Write ``passwd``, ``acl`` and (if any password was generated) ``credentials.env``.

    Args:
        site: The site config.
        out_dir: Where to write (created if missing).
        environ: Where preset passwords are looked up (default: the process environment).
    """
    env = os.environ if environ is None else environ
    out_dir.mkdir(parents=True, exist_ok=True)
    passwd_lines: list[str] = []
    generated: dict[str, str] = {}
    users = broker_users(site)
    passwords: dict[str, str] = {}
    for user in users:
        if user.derived_from is not None:
            continue
        password = env.get(user.password_env)
        if not password:
            password = new_password()
            generated[user.password_env] = password
        passwords[user.username] = password
    for user in users:
        if user.derived_from is not None:
            base = passwords[user.derived_from]
            passwords[user.username] = connection_password(base, username=user.username)
        passwd_lines.append(f"{user.username}:{hash_password(passwords[user.username])}")
    passwd = out_dir / "passwd"
    acl = out_dir / "acl"
    # mosquitto reads these as its own user; group read is enough, nobody else needs them.
    _write(passwd, "\n".join(passwd_lines) + "\n", 0o640)
    _write(acl, render_acl(site), 0o640)
    credentials = None
    if generated:
        credentials = out_dir / "credentials.env"
        body = "".join(f"{name}={value}\n" for name, value in generated.items())
        _write(credentials, "# Generated broker passwords: hand each to its node.\n" + body, 0o600)
    return BrokerFiles(
        passwd=passwd,
        acl=acl,
        credentials=credentials,
        users=tuple(user.username for user in users),
        generated=tuple(generated),
    )


def is_loopback(address: str) -> bool:
    """Whether `address` is a loopback address (``localhost``, 127.0.0.0/8, ``::1``)."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def render_mosquitto_conf(
    *,
    port: int,
    bind_address: str,
    password_file: Path,
    acl_file: Path,
    persistence_dir: Path,
    tls: BrokerTls | None = None,
    allow_network_plaintext: bool = False,
) -> str:
    """A mosquitto 2.x config with PortGate's security settings.

    Args:
        port: The plaintext listener's port.
        bind_address: The plaintext listener's address: loopback unless opted out.
        password_file: mosquitto's password file.
        acl_file: mosquitto's ACL file.
        persistence_dir: Where mosquitto keeps sessions and queued messages.
        tls: The TLS listener every node off this host uses (None: none, loopback only).
        allow_network_plaintext: Explicit opt-in for plaintext on a non-loopback address
            (a private container network); the config says so in a warning.

    Raises:
        BrokerConfigError: Plaintext on a network address without the opt-in, or client
            certificates required without a CA.
    """
    return "\n".join(
        _HEADER
        + _plaintext_listener(port, bind_address, allow_network_plaintext)
        + _tls_listener(tls)
        + _security_lines(password_file, acl_file, persistence_dir)
    )


_HEADER = [
    "# PortGate broker (mosquitto 2.x). Generated by portgate.broker.mosquitto_files.",
    "per_listener_settings false",
]


def _plaintext_listener(port: int, address: str, allowed_on_network: bool) -> list[str]:
    if is_loopback(address):
        return [
            "# Plaintext only on loopback: clients on this host (health probes, local tools).",
            f"listener {port} {address}",
        ]
    if not allowed_on_network:
        raise BrokerConfigError(
            f"plaintext MQTT on {address} would carry passwords and gate commands in clear: "
            "bind it to 127.0.0.1 and use the TLS listener, or opt in explicitly "
            "(--allow-network-plaintext) for a private network only"
        )
    return [
        f"# WARNING: plaintext MQTT on {address}, opted in explicitly: passwords and gate",
        "# commands travel in clear. Only on a private network no one else can reach.",
        f"listener {port} {address}",
    ]


def _tls_listener(tls: BrokerTls | None) -> list[str]:
    if tls is None:
        return []
    if tls.require_certificate and tls.ca_file is None:
        raise BrokerConfigError("broker.tls.require_certificate needs broker.tls.ca_file")
    lines = [
        "# TLS: every node off this host connects here (mqtts://).",
        f"listener {tls.port} {tls.bind_address}",
        f"certfile {tls.cert_file}",
        f"keyfile {tls.key_file}",
    ]
    if tls.ca_file is not None:
        lines.append(f"cafile {tls.ca_file}")
    lines += [
        f"require_certificate {'true' if tls.require_certificate else 'false'}",
        "tls_version tlsv1.2",
    ]
    return lines


def _security_lines(password_file: Path, acl_file: Path, persistence_dir: Path) -> list[str]:
    return [
        "allow_anonymous false",
        f"password_file {password_file}",
        f"acl_file {acl_file}",
        "# A node's client id is its user name: nobody can take over another's session.",
        "use_username_as_clientid true",
        "# Commands for a bridge that is away are kept (QoS 1, persistent session).",
        "persistence true",
        f"persistence_location {str(persistence_dir).rstrip('/')}/",
        "autosave_interval 60",
        "persistent_client_expiration 7d",
        "# The API's session queues every gate's events while it is away (agents also keep",
        "# them until the API confirms; this bounds broker memory: ~1 KiB an event).",
        "max_queued_messages 50000",
        "# No PortGate payload exceeds 16 KiB; refuse bigger packets at the door.",
        "max_packet_size 32768",
        "max_inflight_messages 20",
        "# Gate commands are small and latency-critical: no Nagle delay.",
        "set_tcp_nodelay true",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages true",
        "",
    ]
