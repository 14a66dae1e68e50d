"""The CLI's help texts in the run's language: extracted for the catalogs, translated when shown.

Typer builds a command's help from ``help=`` texts and docstrings as the module is imported,
in English. Marking each of them with ``N_`` would not reach the docstrings, so `extract_help`
(a Babel extraction method, babel.cfg) finds them in the source, and `localize_command`
puts each text's translation on the loaded click command just before the help is shown
(portgate/lazy_commands.py). A text is split into paragraphs, each one message with its
white space folded, so a docstring's line breaks do not make its translation go stale.
English leaves the commands as Typer built them. `LocalizedContext` does the same for two
texts click writes itself, not through gettext: the ``Usage:`` prefix and the --help
option's line (portgate/library_language.py has the texts Typer passes to gettext).
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from typer import _click as click  # typer 0.2x carries its own click; its types are these
from typer.core import TyperGroup

from gate_protocol.i18n import DEFAULT_LOCALE, N_, translator
from portgate.language import cli_locale

__all__ = [
    "LocalizedContext",
    "extract_help",
    "help_paragraphs",
    "localize_command",
    "localize_help_option",
    "localize_text",
]

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LOCALIZED = "_portgate_help_locale"  # set on a click object once its texts are translated
_ORIGINAL = "_portgate_help_english"  # its English texts, kept to translate again


def help_paragraphs(text: str) -> list[str]:
    """`text` (a ``help=`` text or a docstring) as the messages it is translated by."""
    paragraphs = _PARAGRAPH_BREAK.split(inspect.cleandoc(text))
    return [" ".join(paragraph.split()) for paragraph in paragraphs if paragraph.strip()]


def localize_text(text: str | None, locale: str) -> str | None:
    """`text` with each paragraph in `locale` (a paragraph not in the catalog stays English)."""
    if not text or locale == DEFAULT_LOCALE:
        return text
    translate = translator(locale)
    return "\n\n".join(translate(paragraph) for paragraph in help_paragraphs(text))


def _localize_object(
    target: click.Command | click.Parameter, fields: tuple[str, ...], locale: str
) -> None:
    english: dict[str, str | None] = target.__dict__.setdefault(
        _ORIGINAL, {field: getattr(target, field, None) for field in fields}
    )
    if getattr(target, _LOCALIZED, DEFAULT_LOCALE) == locale:
        return
    for field, text in english.items():
        setattr(target, field, text if locale == DEFAULT_LOCALE else localize_text(text, locale))
    setattr(target, _LOCALIZED, locale)


def localize_command(command: click.Command, locale: str) -> click.Command:
    """Put `locale` on `command`'s help texts, its parameters' and its subcommands'."""
    _localize_object(command, ("help", "short_help"), locale)
    for param in command.params:
        _localize_object(param, ("help",), locale)
    if command.context_class is click.Context:  # the usage line and --help line too
        command.context_class = LocalizedContext
    if isinstance(command, TyperGroup):
        for subcommand in command.commands.values():
            localize_command(subcommand, locale)
    return command


# click's own words (typer._click: formatting.py and decorators.py), from our catalog.
USAGE_PREFIX = N_("Usage: ")
HELP_OPTION_HELP = N_("Show this message and exit.")


class _LocalizedFormatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        locale = cli_locale()
        if prefix is None and locale != DEFAULT_LOCALE:
            prefix = translator(locale)(USAGE_PREFIX)
        super().write_usage(prog, args, prefix)


class LocalizedContext(click.Context):
    """click's context, writing its usage line and its --help option's line in the language."""

    formatter_class = _LocalizedFormatter

    def __init__(self, command: click.Command, *args: Any, **kwargs: Any) -> None:
        super().__init__(command, *args, **kwargs)
        # The help option is made (and kept) by the command for the context's option names:
        # made here as click would make it, its line in the run's language.
        localize_help_option(self, cli_locale())


def localize_help_option(ctx: click.Context, locale: str) -> None:
    """Put `locale` on the --help option's line of `ctx`'s command (English: click's own)."""
    help_option = ctx.command.get_help_option(ctx)
    if help_option is not None:
        _localize_object(help_option, ("help",), locale)


# Babel's extraction method for the help texts (babel.cfg).

_COMMAND_DECORATORS = {"command", "callback"}


def _is_command(node: ast.FunctionDef) -> bool:
    # A command: decorated with app.command()/callback(), or a *_command function that a
    # Typer app registers elsewhere (lazy_commands, app.command("x")(x_command)).
    for decorator in node.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(call, ast.Attribute) and call.attr in _COMMAND_DECORATORS:
            return True
    return node.name.endswith("_command") and not node.name.startswith("_")


def _help_texts(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "help":
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                yield node.value.lineno, node.value.value
        elif isinstance(node, ast.FunctionDef) and _is_command(node):
            docstring = ast.get_docstring(node, clean=True)
            if docstring:
                yield node.lineno, docstring


def extract_help(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Any,
) -> Iterator[tuple[Any, ...]]:
    """Babel extraction: the ``_()`` messages of a CLI module, then its help paragraphs."""
    from babel.messages.extract import extract_python  # noqa: PLC0415 - only when extracting

    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    for lineno, text in _help_texts(ast.parse(source)):
        for paragraph in help_paragraphs(text):
            yield lineno, None, paragraph, []
