"""central_api: the authority of a port site (FastAPI + SQLModel), docs/api.md.

Rooms: `decisions/` (central decisions and the live state they read), `replica/` (what
each gate keeps offline and its versions), `ingest/` (storing what gates report),
`insider/` (insider-pattern checks on stored events), `alarms/` (raising and acknowledging
alarms), `bus/` (the MQTT link and what a commit publishes), `security/` (users, gate
keys, site scope, page security, templates at rest), `audit/` (the hash-chained log),
`crud/` and `models/` (tables and their audited changes), `enroll/` (the security desk's
domain), `dashboard/` (the live board and feed), `routes/` (every HTTP route, one
module per area; the desk's and the dashboard's in folders of their own) and `web/`
(page layout, templates, static files). At the root: the app factory, settings, the
database engine, shared route dependencies, errors, metrics, migrations, remote opens and
the multi-worker server.
"""
