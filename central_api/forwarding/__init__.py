"""Forwarding to a SIEM (issue 23.4, docs/siem.md): events, alarms, audit rows as syslog.

RFC 5424 syslog lines (CEF or JSON bodies) over TCP or TLS.

Owns the stored cursor (the last id sent per kind and target, migration 0027), the rows'
fields as a SIEM reads them, the RFC 5424 / RFC 6587 / CEF formatting, the sender (one
connection per batch, confirmed by the collector's end of stream) and the worker that
reads after the cursor, sends a bounded batch and moves the cursor only after the batch
was delivered: at-least-once, resumed after a restart, nothing lost while the SIEM is away.
"""
