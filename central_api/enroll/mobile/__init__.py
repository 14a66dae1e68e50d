"""A pass on a phone (issue 26.3): the signed link to an issued pass and what the phone sees.

`links` makes a pass's phone link (``/m/pass/{pass_id}#{secret}``: the secret rides in
the fragment, so no access log sees it) and keeps only an HMAC of its secret, the way the
password reset links do; a new link replaces the old one, audited. `view` is what the
phone page shows for a link: the live status (not yet valid, valid, used, cancelled,
expired), the window in the site's zone, the gates, the holder's first name, and the QR
code of exactly the signed token the gate verifies offline while the pass can still be
used. Routes: `central_api.routes.mobile_pass`; docs/api.md "Passes on a phone".
"""
