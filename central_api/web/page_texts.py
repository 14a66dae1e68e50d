"""Texts the layout shows that are data to the routes: page titles and role names.

`render_page` translates its `title` and the user's role when it shows them; listing them
here with `N_` is what puts them in the catalogs (extraction sees only marked literals).
A new page's title belongs here too.
"""

from gate_protocol.i18n import N_

__all__ = ["PAGE_TITLES", "ROLE_NAMES"]

PAGE_TITLES = (
    N_("Alarm"),
    N_("Companies"),
    N_("Dashboard"),
    N_("Events"),
    N_("Incidents"),
    N_("Persons of interest"),
    N_("Port bans"),
    N_("Reports"),
    N_("Security baseline"),
    N_("Security desk"),
    N_("Sharing"),
    N_("Staff reports"),
    N_("Report something"),  # the desk's nav link to the staff-report page
)
ROLE_NAMES = (
    N_("admin"),
    N_("security_desk"),
    N_("operator"),
    N_("authority"),
)
