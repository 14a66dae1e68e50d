"""click's usage errors in the CLI's language.

Typer 0.29 carries its own click, which writes its usage errors as f-strings, not through
gettext (only Typer's ``core`` and ``rich_utils`` call gettext: portgate/library_language.py).
So each error's English text is matched against the frames below and written again from the
``portgate`` catalog; what a frame does not know (a type's own complaint, a name) passes
through as it is. `SOURCE_TEXTS` are the literals of the installed click each frame mirrors:
tests/portgate/test_cli_library_texts.py fails when an upgrade changes one. English errors
are raised untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from typer import _click as click

from gate_protocol.i18n import DEFAULT_LOCALE, N_
from portgate.language import _, cli_locale

__all__ = ["SOURCE_TEXTS", "localized_usage_errors", "translate_usage_message"]

# The message's start as click words it, and the catalog's text for it ({rest}: the rest).
_FRAMES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"No such option: (?P<name>\S+)"), N_("No such option: {name}")),
    (re.compile(r"Missing argument (?P<name>'.*?')\."), N_("Missing argument {name}.")),
    (re.compile(r"Missing option (?P<name>'.*?')\."), N_("Missing option {name}.")),
    (re.compile(r"Missing parameter (?P<name>'.*?')\."), N_("Missing parameter {name}.")),
    (re.compile(r"Invalid value for (?P<name>'.+?'): "), N_("Invalid value for {name}: ")),
    (re.compile(r"Invalid value: "), N_("Invalid value: ")),
    (
        re.compile(r"Got unexpected extra argument\(s\) \((?P<extra>.*)\)$", re.S),
        N_("Got unexpected extra argument(s) ({extra})"),
    ),
    (
        re.compile(r"Option (?P<name>'[^']*') requires an argument\."),
        N_("Option {name} requires an argument."),
    ),
    (
        re.compile(r"Option (?P<name>'[^']*') does not take a value\."),
        N_("Option {name} does not take a value."),
    ),
]
# What click and Typer add at a message's end.
_POSSIBLE = re.compile(r" \(Possible options: (?P<options>[^()]+)\)$")
_DID_YOU_MEAN = re.compile(r"\. Did you mean (?P<names>.+)\?$")

SOURCE_TEXTS = (
    'f"No such option: {',
    'f"Missing {param_type}{param_hint}.',
    'f"Invalid value for {hint}: {self.message}"',
    'f"Invalid value: {self.message}"',
    'f"Got unexpected extra argument(s) ({extra_args})"',
    'msg = "an argument."',
    'f"Option {option_name!r} requires {msg}"',
    'f"Option {opt!r} does not take a value."',
    'f"(Possible options: {possibility_str})"',
    'f"{message}. Did you mean {suggestions}?"',
)


def _frame(text: str) -> str:
    for pattern, message in _FRAMES:
        found = pattern.match(text)
        if found is not None:
            return _(message, **found.groupdict()) + text[found.end() :]
    return text


def translate_usage_message(text: str) -> str:
    """`text` (a click usage error's message, in English) in the run's language."""
    tail = ""
    possible = _POSSIBLE.search(text)
    if possible is not None:
        text = text[: possible.start()]
        tail = " " + _("(Possible options: {options})", options=possible["options"])
    suggested = _DID_YOU_MEAN.search(text)
    if suggested is not None:
        text = text[: suggested.start()]
        tail = ". " + _("Did you mean {names}?", names=suggested["names"]) + tail
    return _frame(text) + tail


@contextmanager
def localized_usage_errors() -> Iterator[None]:
    """Raise a click usage error from the block again, its message in the run's language."""
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # the help itself, shown as it is
    except click.exceptions.UsageError as exc:
        if cli_locale() == DEFAULT_LOCALE:
            raise
        english = exc.format_message()
        text = translate_usage_message(english)
        if text == english:
            raise
        localized = click.exceptions.UsageError(text, ctx=exc.ctx)
        localized.exit_code = exc.exit_code  # the same status in every language
        raise localized from exc
