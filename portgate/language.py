"""The language of the CLI's messages: ``--lang``, else PORTGATE_LANG, else LANG, else English.

What a user reads when a command succeeds or fails goes through `_`, which the commands
import (``from portgate.language import _``); the help texts are translated when shown
(portgate/help_language.py), Typer's own words through the ``cli_library`` domain
(portgate/library_language.py).
"""

from gate_protocol.i18n import DEFAULT_LOCALE, locale_from_env, translator
from portgate.library_language import use_library_language

__all__ = ["_", "cli_locale", "choose_cli_locale"]

_chosen: list[str] = [DEFAULT_LOCALE]  # set once per run by the CLI's global options


def choose_cli_locale(explicit: str | None) -> str:
    """Set the run's language from `explicit` (``--lang``) or the environment.

    Raises:
        UnknownLocaleError: `explicit` or PORTGATE_LANG names no supported language.
    """
    _chosen[0] = locale_from_env(explicit)
    use_library_language(_chosen[0])  # Typer's own words too, before a help or error is shown
    return _chosen[0]


def cli_locale() -> str:
    """The run's language."""
    return _chosen[0]


def _(message: str, /, **values: object) -> str:
    """`message` in the run's language, its {name} placeholders filled from `values`."""
    return translator(_chosen[0])(message, **values)
