"""RFC 5424 header, RFC 6587 octet counting and CEF escaping (pure formatting)."""

import json
from datetime import UTC, datetime, timedelta, timezone

from central_api.forwarding.syslog_format import (
    SyslogRecord,
    cef_body,
    frame,
    json_body,
    syslog_line,
)


def _record(**fields: str | int | None) -> SyslogRecord:
    return SyslogRecord(
        kind="alarm",
        at=datetime(2026, 12, 6, 15, 0, 1, 250000, tzinfo=timezone(timedelta(hours=1))),
        severity=2,
        signature="alarm:forced_open",
        name="alarm forced|open",
        fields=fields,
    )


def test_the_header_is_rfc5424_in_utc() -> None:
    line = syslog_line(_record(), "body", hostname="api host\n1")
    assert line == b"<106>1 2026-12-06T14:00:01.250000Z apihost1 portgate - alarm - body"


def test_naive_times_are_taken_as_utc() -> None:
    record = _record()
    record.at = datetime(2026, 12, 6, 15, 0, 1)  # noqa: DTZ001 - SQLite hands these back
    assert b" 2026-12-06T15:00:01.000000Z " in syslog_line(record, "x", hostname="h")


def test_octet_counting_counts_bytes_not_characters() -> None:
    message = "<106>1 - - - - - - Ölhafen".encode()
    framed = frame(message)
    length, _, rest = framed.partition(b" ")
    assert int(length) == len(message) == len(rest) and rest == message


def test_cef_escapes_header_and_extension() -> None:
    body = cef_body(
        _record(detail="a=b\\c|d\nline2", gate_id="g-1", person_id=None), version="0.1.0"
    )
    assert body == (
        "CEF:0|PortGate|PortGate|0.1.0|alarm:forced_open|alarm forced\\|open|8|"
        "detail=a\\=b\\\\c|d\\nline2 gate_id=g-1"
    )


def test_json_body_is_one_object_with_the_fields() -> None:
    content = json.loads(json_body(_record(detail="x\ny", id=7)))
    assert content == {
        "kind": "alarm",
        "at": "2026-12-06T14:00:01.250000Z",
        "name": "alarm forced|open",
        "detail": "x\ny",
        "id": 7,
    }
    assert datetime.fromisoformat(content["at"]).tzinfo == UTC
