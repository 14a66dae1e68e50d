"""The desk's actions on one person (issue 22.3): their standing everywhere, and the changes.

`standing` is what the desk page shows of a person (status and its reason, the activation
at each site, a port ban in force without its reasons, watchlist entries the desk set,
badges, passes); `actions` revokes, suspends or reinstates with a reason, changes the
validity and replaces a lost badge in one audited transaction; `receipt` erases a person
after a typed confirmation and returns the erasure receipt; `days` turns the page's
inclusive days into instants in the site's time zone and back. Routes:
`central_api.routes.desk.actions`.
"""
