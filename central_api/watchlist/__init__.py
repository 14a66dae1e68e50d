"""The port-wide watchlist's persons of interest: entered by the port authority.

A person of interest is a face the port looks out for without an enrolled person: a photo
(checked and encoded like an enrollment photo, then forgotten), a reason, an optional
period. Adding or removing one is audited and bumps every site's replica, so every gate
that sees faces screens its encodings against the new gallery
(`central_api.replica.watchlist` says what the gallery holds).
"""
