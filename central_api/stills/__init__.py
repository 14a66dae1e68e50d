"""An alarm's camera still (issue 22.4): kept only where the site says so, sealed, short-lived.

Owns the still's table (`tables`), what arrives on a gate's ``still`` channel (`ingest`:
a known gate of that site, an id-shaped alarm id, a JPEG of at most
`gate_protocol.stills.MAX_STILL_BYTES` that decodes as an image; sealed with AES-256-GCM
under the kept-photo key, the alarm id bound in, and stored by alarm id whether the alarm
row is there yet or not; a still of a site that keeps none is dropped and counted), the
site's rule (`rule`: keep stills or not, off by default, and for how many days; admins,
audited), the still an operator may see (`shown`: one "not found" for every case it is
not shown, each view audited) and the purge of expired stills and of every still of a
site that stopped keeping them (`purge`). docs/dashboard.md "Camera stills".
"""
