"""Forwarding settings, from the environment (docs/siem.md).

``PORTGATE_SYSLOG_TARGET`` (``host:port``; unset: nothing is forwarded),
``PORTGATE_SYSLOG_TLS`` (``1``: RFC 5425), ``PORTGATE_SYSLOG_CA_FILE`` (PEM; unset: the
system's CAs), ``PORTGATE_SYSLOG_FORMAT`` (``cef`` or ``json``), ``PORTGATE_SYSLOG_KINDS``
(comma-separated of ``event``, ``alarm``, ``audit``; default all three).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from central_api.forwarding.records import Kind
from central_api.forwarding.sender import SyslogTarget
from central_api.forwarding.syslog_format import BodyFormat

__all__ = ["ForwardingConfigError", "ForwardingSettings", "forwarding_settings"]


class ForwardingConfigError(ValueError):
    """A forwarding setting is malformed (the message names it)."""


@dataclass(frozen=True)
class ForwardingSettings:
    """Where, how and what the worker forwards."""

    target: SyslogTarget
    body: BodyFormat = BodyFormat.JSON
    kinds: tuple[Kind, ...] = (Kind.EVENT, Kind.ALARM, Kind.AUDIT)


def _target(value: str, env: Mapping[str, str]) -> SyslogTarget:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ForwardingConfigError(f"PORTGATE_SYSLOG_TARGET must be host:port, not {value!r}")
    ca = env.get("PORTGATE_SYSLOG_CA_FILE") or None
    if ca is not None and not Path(ca).is_file():
        raise ForwardingConfigError(f"PORTGATE_SYSLOG_CA_FILE {ca!r} is not a file")
    tls = env.get("PORTGATE_SYSLOG_TLS", "0") == "1"
    return SyslogTarget(
        host=host.strip("[]"), port=int(port), tls=tls, ca_file=Path(ca) if ca else None
    )


def forwarding_settings(env: Mapping[str, str]) -> ForwardingSettings | None:
    """The settings `env` describes, or None without ``PORTGATE_SYSLOG_TARGET``.

    Raises:
        ForwardingConfigError: a setting is malformed.
    """
    value = env.get("PORTGATE_SYSLOG_TARGET")
    if not value:
        return None
    try:
        body = BodyFormat(env.get("PORTGATE_SYSLOG_FORMAT", "json"))
    except ValueError:
        raise ForwardingConfigError("PORTGATE_SYSLOG_FORMAT must be cef or json") from None
    try:
        kinds = tuple(
            Kind(k.strip())
            for k in env.get("PORTGATE_SYSLOG_KINDS", "event,alarm,audit").split(",")
        )
    except ValueError:
        raise ForwardingConfigError(
            "PORTGATE_SYSLOG_KINDS must list event, alarm, audit (comma-separated)"
        ) from None
    return ForwardingSettings(target=_target(value, env), body=body, kinds=kinds)
