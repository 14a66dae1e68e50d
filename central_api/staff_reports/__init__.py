"""Staff reports of suspicious activity (issue 20.3): anonymous by default, with a follow-up code.

Owns the report (what, where, when, an optional photo sealed at rest, an optional name or
contact), its follow-up code (shown once, stored only as a keyed hash), the thread of
messages between the reporter and triage, the gate signs whose QR code opens the phone
page (a random token per site and gate, rotatable), the triage queue (new, in progress,
closed, passed on; replies, passing on to police or customs, turning a report into an
incident of `central_api.incidents`), the abuse limits (size, image header, a rate per
hashed client address that is never stored with a report) and the purge of closed reports.
Every triage change is audited. docs/staff-reports.md.
"""
