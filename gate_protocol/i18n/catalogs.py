"""The gettext catalogs, read with Babel from the ``.po`` files once per locale and domain.

Reading the ``.po`` at load time (compiled to ``.mo`` in memory) means a fresh clone needs
no build step; the catalogs are small, so the cost is paid once per process.
"""

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from gate_protocol.i18n.locales import DEFAULT_LOCALE, parse_locale

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "N_",
    "Translate",
    "catalog_messages",
    "read_catalog",
    "translated_messages",
    "translator",
]

DOMAIN = "portgate"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"

Translate = Callable[..., str]
"""``_(message, **values)``: `message` in the locale, its {name} placeholders filled."""


def N_(message: str) -> str:  # noqa: N802 (the gettext convention extraction looks for)
    """Mark a module-level text for extraction; it is translated where it is shown."""
    return message


def _po_path(locale: str, domain: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(path: Path, locale: str, domain: str) -> Catalog | None:
    """The parsed ``.po`` at `path`; None for English (the msgids) or a missing file."""
    if locale == DEFAULT_LOCALE or not path.is_file():
        return None
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale, domain=domain)


def translated_messages(catalog: Catalog | None) -> dict[str, str]:
    """Every translated, non-fuzzy message of `catalog` as msgid → text (None: none)."""
    if catalog is None:
        return {}
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


@cache
def _catalog(locale: str, domain: str) -> Catalog | None:
    """The parsed ``.po`` of `locale` (read once for both views below); None: the msgids."""
    language = parse_locale(locale)
    return read_catalog(_po_path(language, domain), language, domain)


@cache
def translations(locale: str, domain: str = DOMAIN) -> NullTranslations:
    """The catalog of `locale` (a supported one; English and a missing file: the msgids)."""
    catalog = _catalog(locale, domain)
    if catalog is None:
        return NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled, domain=domain)


@cache
def catalog_messages(locale: str, domain: str = DOMAIN) -> dict[str, str]:
    """Every translated message of `locale` as msgid → text (the pages' JSON block)."""
    return translated_messages(_catalog(locale, domain))


def translator(locale: str, domain: str = DOMAIN) -> Translate:
    """A ``_`` for `locale`: gettext, then ``str.format`` of the values given by name."""
    catalog = translations(locale, domain)

    def translate(message: str, /, **values: object) -> str:
        text = catalog.gettext(message)
        return text.format(**values) if values else text

    return translate
