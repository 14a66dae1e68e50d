r"""RFC 5424 syslog lines, RFC 6587 octet-counted frames, and CEF or JSON bodies.

No well-kept library formats RFC 5424 (the standard library's SysLogHandler writes
RFC 3164), so this module does, for the few fields PortGate sets: PRI, VERSION 1, an
RFC 3339 UTC timestamp, HOSTNAME, APP-NAME ``portgate``, no PROCID, MSGID = the kind, no
structured data, and the body. CEF is ArcSight's Common Event Format, revision 25:
``|`` and ``\`` escaped in the header; ``\``, ``=``, and line breaks in extension values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum

__all__ = [
    "BodyFormat",
    "SyslogRecord",
    "cef_body",
    "frame",
    "json_body",
    "syslog_line",
]

# Facility 13 is "log audit" (RFC 5424 table 1): what a SIEM files security records under.
FACILITY = 13
APP_NAME = "portgate"
CEF_VENDOR = "PortGate"
CEF_PRODUCT = "PortGate"


class BodyFormat(StrEnum):
    """The body of each syslog line."""

    CEF = "cef"
    JSON = "json"


class SyslogRecord:
    """One row as a SIEM reads it: kind, time, severity (RFC 5424, 0-7), name, fields."""

    __slots__ = ("at", "fields", "kind", "name", "severity", "signature")

    def __init__(
        self,
        *,
        kind: str,
        at: datetime,
        severity: int,
        signature: str,
        name: str,
        fields: Mapping[str, str | int | float | bool | None],
    ) -> None:
        self.kind = kind
        self.at = at
        self.severity = severity
        self.signature = signature
        self.name = name
        self.fields = dict(fields)


def _header_text(value: str, limit: int) -> str:
    # Header fields are PRINTUSASCII without spaces (RFC 5424 6.2); "-" is the nil value.
    text = "".join(c for c in value if 33 <= ord(c) <= 126)[:limit]
    return text or "-"


def _timestamp(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def syslog_line(record: SyslogRecord, body: str, *, hostname: str) -> bytes:
    """The RFC 5424 message of `record` with `body` as MSG (UTF-8, no BOM)."""
    pri = FACILITY * 8 + record.severity
    header = " ".join(
        (
            f"<{pri}>1",
            _timestamp(record.at),
            _header_text(hostname, 255),
            APP_NAME,
            "-",
            _header_text(record.kind, 32),
            "-",
        )
    )
    return f"{header} {body}".encode()


def frame(message: bytes) -> bytes:
    """RFC 6587 octet counting (RFC 5425 framing): the length, a space, the message."""
    return str(len(message)).encode("ascii") + b" " + message


def json_body(record: SyslogRecord) -> str:
    """The record as one compact JSON object (kind, time, name, then its fields)."""
    content: dict[str, object] = {
        "kind": record.kind,
        "at": _timestamp(record.at),
        "name": record.name,
        **record.fields,
    }
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _cef_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _cef_value(value: object) -> str:
    text = "true" if value is True else "false" if value is False else str(value)
    text = text.replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


def cef_body(record: SyslogRecord, *, version: str) -> str:
    """The record as a CEF:0 line; empty fields are left out, CEF severity = 10 - 5424's."""
    # CEF severity runs 0 (low) to 10 (very high); syslog's 0 is the worst.
    severity = max(0, min(10, 10 - record.severity))
    header = "|".join(
        _cef_header(part)
        for part in (CEF_VENDOR, CEF_PRODUCT, version, record.signature, record.name)
    )
    extension = " ".join(
        f"{key}={_cef_value(value)}" for key, value in record.fields.items() if value is not None
    )
    return f"CEF:0|{header}|{severity}|{extension}"
