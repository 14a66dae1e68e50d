"""The lane texts in the languages drivers at a North Sea port read (gettext domain ``lane``).

The lane speaks more languages than the staff pages (`gate_protocol.i18n`): Polish,
Romanian, Lithuanian and Turkish besides those. Its catalogs are ``.po`` files under
``locales/<lang>/LC_MESSAGES/lane.po`` next to this module, read with Babel once per
process; English is the source language (the msgids). A message a catalog lacks falls
back to English here, and fails tests/i18n/test_lane_catalogs.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from gate_protocol.i18n.catalogs import read_catalog, translated_messages
from gate_protocol.i18n.locales import LANE_LOCALES, lane_language

__all__ = [
    "DOMAIN",
    "LANE_LOCALES",
    "LANE_LOCALE_NAMES",
    "LOCALE_DIR",
    "lane_language",
    "lane_messages",
    "lane_text",
]

DOMAIN = "lane"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"
# Each language named in itself: the picker is read by someone who cannot read the rest.
LANE_LOCALE_NAMES: Mapping[str, str] = {
    "en": "English",
    "nl": "Nederlands",
    "sv": "Svenska",
    "de": "Deutsch",
    "fr": "Français",
    "pl": "Polski",
    "ro": "Română",
    "lt": "Lietuvių",
    "tr": "Türkçe",
}


@cache
def lane_messages(locale: str) -> Mapping[str, str]:
    """Every translated lane text of `locale` as msgid → text (English: none, the msgids).

    Raises:
        ValueError: `locale` is not one of `LANE_LOCALES`.
    """
    if locale not in LANE_LOCALES:
        raise ValueError(f"unknown lane language {locale[:20]!r}: one of {', '.join(LANE_LOCALES)}")
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    return translated_messages(read_catalog(path, locale, DOMAIN))


def lane_text(locale: str, message: str, /, **values: str) -> str:
    """`message` in `locale` (English if the catalog lacks it), its placeholders filled."""
    text = lane_messages(locale).get(message, message)
    return text.format(**values) if values else text
