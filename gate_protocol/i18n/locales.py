"""The supported locales and how one is chosen: a user's explicit choice, else negotiation."""

import os
from collections.abc import Mapping
from typing import Literal, get_args

from babel import Locale
from babel import UnknownLocaleError as BabelUnknownLocale

__all__ = [
    "DEFAULT_LOCALE",
    "LANE_LOCALES",
    "LaneLanguage",
    "lane_language",
    "LOCALE_NAMES",
    "SUPPORTED_LOCALES",
    "UnknownLocaleError",
    "locale_from_env",
    "negotiate_locale",
    "parse_locale",
]

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "nl", "sv", "de", "fr")
DEFAULT_LOCALE = "en"
# Each language named in itself: the menu must be readable by someone who cannot read
# the page's current language.
LOCALE_NAMES: Mapping[str, str] = {
    "en": "English",
    "nl": "Nederlands",
    "sv": "Svenska",
    "de": "Deutsch",
    "fr": "Français",
}
# The lane displays (gate_agent/display) speak the drivers' languages too: a person's
# preferred language is one of these (issue 26.2); their texts are the "lane" domain.
LANE_LOCALES: tuple[str, ...] = ("en", "nl", "sv", "de", "fr", "pl", "ro", "lt", "tr")
LaneLanguage = Literal["en", "nl", "sv", "de", "fr", "pl", "ro", "lt", "tr"]


def lane_language(value: str | None) -> LaneLanguage:
    """The lane language `value` names (``pl``, ``pl-PL``, ``PL``); English when it names none."""
    language = (value or "").strip().replace("_", "-").split("-")[0].lower()
    for known in get_args(LaneLanguage):
        if known == language:
            return known  # type: ignore[no-any-return]  # (get_args is untyped)
    return "en"


_MAX_HEADER = 500  # Accept-Language longer than this is not a browser's


class UnknownLocaleError(ValueError):
    """A locale PortGate does not speak; the message names the ones it does."""

    def __init__(self, value: str) -> None:
        """Say which value was refused (cut short: it may come from a URL)."""
        shown = value[:20]
        super().__init__(
            f"unknown language {shown!r}: choose one of {', '.join(SUPPORTED_LOCALES)}"
        )
        self.value = shown


def parse_locale(value: str) -> str:
    """The supported locale `value` names (``nl``, ``nl-BE``, ``nl_NL.UTF-8`` all give ``nl``).

    Raises:
        UnknownLocaleError: `value` is not a locale or not one PortGate speaks.
    """
    cleaned = value.strip().split(".")[0].split("@")[0]
    try:
        language = Locale.parse(cleaned, sep="-" if "-" in cleaned else "_").language
    except (ValueError, TypeError, BabelUnknownLocale) as error:
        raise UnknownLocaleError(value) from error
    # Babel maps a few aliases (``C`` is en_US_POSIX); only a language named as itself counts.
    if language not in SUPPORTED_LOCALES or cleaned[:2].lower() != language:
        raise UnknownLocaleError(value)
    return language


def _preferences(header: str) -> list[str]:
    # "sv-SE,sv;q=0.9,en;q=0.5" -> ["sv_SE", "sv", "en"], by descending quality, stable.
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:_MAX_HEADER].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_locale(accept_language: str | None) -> str:
    """The best supported locale for a browser's ``Accept-Language`` (English if none fits)."""
    if not accept_language:
        return DEFAULT_LOCALE
    preferences = [tag.split("_")[0].lower() for tag in _preferences(accept_language)]
    found = Locale.negotiate(preferences, list(SUPPORTED_LOCALES))
    return found.language if found is not None else DEFAULT_LOCALE


def locale_from_env(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The CLI's locale: `explicit` (``--lang``), else PORTGATE_LANG, else LANG, else English.

    An explicit or PORTGATE_LANG value PortGate does not speak is an error (the user asked
    for it); a LANG it does not speak (a system default such as ``C.UTF-8``) means English.

    Raises:
        UnknownLocaleError: `explicit` or PORTGATE_LANG names no supported locale.
    """
    source = os.environ if env is None else env
    if explicit:
        return parse_locale(explicit)
    chosen = source.get("PORTGATE_LANG", "")
    if chosen:
        return parse_locale(chosen)
    try:
        return parse_locale(source.get("LANG", "") or DEFAULT_LOCALE)
    except UnknownLocaleError:
        return DEFAULT_LOCALE
