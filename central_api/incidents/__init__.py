"""Incidents: reports for the port community's Information Sharing Centre (issue 19).

Owns the incident report (what happened, when, where, which companies and pseudonymised
people, a narrative, attachments by hash only, a TLP 2.0 label), its audited create,
update while a draft and filing; the prefill from an alarm or an access event (the
dashboard's "Report incident"); the pure mapping to and from the community's shared-item
body; and the STIX 2.1 bundles with TLP 2.0 markings that police and customs tools (MISP,
OpenCTI) read, exported and imported with an audit row. docs/incidents.md.
"""
