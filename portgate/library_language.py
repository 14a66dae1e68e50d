"""Typer's own words (``Usage``, the help panels' titles, its errors) in the CLI's language.

Typer's ``core`` and ``rich_utils`` call the standard library's ``gettext`` in the global
text domain. Their messages are the ``cli_library`` catalog (gate_protocol/i18n/locales,
kept in step with the installed Typer by `make i18n`; tests/portgate/test_cli_library_texts.py
fails when an upgrade renames one). For a language other than English the catalog is
compiled once to a ``.mo`` under the user's cache (``~/.cache/portgate/locale/``, keyed by
the catalog's digest, never inside the installed package), bound, made the text domain and
chosen through ``LANGUAGE``; ``rich_utils``' titles, read once as Typer was imported, are
read again. English puts back what was there before.
"""

from __future__ import annotations

import gettext
import hashlib
import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo

from gate_protocol.i18n import DEFAULT_LOCALE
from gate_protocol.i18n.catalogs import LOCALE_DIR, read_catalog

__all__ = ["LIBRARY_DOMAIN", "RICH_TEXTS", "use_library_language"]

LIBRARY_DOMAIN = "cli_library"

# typer.rich_utils' texts evaluated at its import (`NAME = _("...")`): the constant, its msgid.
RICH_TEXTS = {
    "DEPRECATED_STRING": "(deprecated) ",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}

_log = logging.getLogger(__name__)
_before: dict[str, str | None] = {}  # the text domain and LANGUAGE before the first switch


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "portgate" / "locale"


def _compiled_dir(locale: str) -> Path | None:
    """The folder holding `locale`'s compiled catalog, written now if it is not there yet."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{LIBRARY_DOMAIN}.po"
    catalog = read_catalog(po_path, locale, LIBRARY_DOMAIN)
    if catalog is None:
        return None
    # Keyed by the .po's digest: a changed catalog (an upgrade) is compiled again, never stale.
    digest = hashlib.sha256(po_path.read_bytes()).hexdigest()[:16]
    root = _cache_root() / digest
    mo_path = root / locale / "LC_MESSAGES" / f"{LIBRARY_DOMAIN}.mo"
    if not mo_path.is_file():
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        partial = mo_path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        partial.replace(mo_path)  # atomic: a parallel run reads a whole file or none
    return root


def _set_rich_texts() -> None:
    from typer import rich_utils  # noqa: PLC0415 - after the domain is set, as Typer's import

    for name, message in RICH_TEXTS.items():
        setattr(rich_utils, name, gettext.gettext(message))


def use_library_language(locale: str) -> None:
    """Show Typer's own texts in `locale` from now on (English: Typer's own words)."""
    if locale == DEFAULT_LOCALE:
        if _before:  # only a run that switched away has anything to put back
            gettext.textdomain(_before["domain"])
            _restore_language(_before["language"])
            _set_rich_texts()
        return
    try:
        root = _compiled_dir(locale)
    except OSError as exc:  # an unwritable cache: Typer's words stay English, the rest works
        _log.debug("the CLI library catalog is not compiled: %s", exc)
        return
    if root is None:
        return
    _before.setdefault("domain", gettext.textdomain())
    _before.setdefault("language", os.environ.get("LANGUAGE"))
    gettext.bindtextdomain(LIBRARY_DOMAIN, str(root))
    gettext.textdomain(LIBRARY_DOMAIN)
    # gettext chooses the language from the environment; LANGUAGE comes first.
    os.environ["LANGUAGE"] = locale
    _set_rich_texts()


def _restore_language(language: str | None) -> None:
    if language is None:
        os.environ.pop("LANGUAGE", None)
    else:
        os.environ["LANGUAGE"] = language
