"""Languages (issue 22): the one machinery the API's pages, the CLI and later the lanes share.

Owns the supported locales and their negotiation from ``Accept-Language`` or the
environment (`locales`), the gettext catalogs per domain read with Babel from the ``.po``
files under ``locales/<lang>/LC_MESSAGES/`` (`catalogs`), and dates and times in a site's
time zone and a user's locale (`dates`). English is the source language: its messages are
the msgids themselves, so it needs no catalog. ``make i18n`` extracts the messages
(``locales/portgate.pot``) and updates the catalogs; tests/i18n checks every message has
every translation with the same placeholders.
"""

from gate_protocol.i18n.catalogs import DOMAIN, N_, Translate, catalog_messages, translator
from gate_protocol.i18n.dates import format_date, format_datetime
from gate_protocol.i18n.locales import (
    DEFAULT_LOCALE,
    LOCALE_NAMES,
    SUPPORTED_LOCALES,
    UnknownLocaleError,
    locale_from_env,
    negotiate_locale,
    parse_locale,
)

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAIN",
    "LOCALE_NAMES",
    "N_",
    "SUPPORTED_LOCALES",
    "Translate",
    "UnknownLocaleError",
    "catalog_messages",
    "format_date",
    "format_datetime",
    "locale_from_env",
    "negotiate_locale",
    "parse_locale",
    "translator",
]
