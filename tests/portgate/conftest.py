"""What every CLI test shares: the process put back in English after each test."""

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    # An in-process `--lang nl` sets gettext's text domain and LANGUAGE for Typer's own
    # words (portgate/library_language.py); later tests and their subprocesses get English.
    yield
    language = sys.modules.get("portgate.language")
    if language is not None:
        language.choose_cli_locale("en")
