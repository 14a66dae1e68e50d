"""`portgate sites ...`: a site's settings from the command line (its IANA time zone)."""

from portgate.commands.sites.cli import app

__all__ = ["app"]
