"""Every page template names its fields, buttons and images, also where axe cannot look.

The browser check (tests/integration/test_accessibility.py) runs axe-core on what a page
shows; panels that open later (a duplicate identity, a printed pass, a receipt) are hidden
then and axe skips them. This reads every template's markup instead: each input, select
and textarea has a ``<label for>``, a wrapping ``<label>``, ``aria-label`` or
``aria-labelledby``; each button and link has a name; each image has ``alt``; every
whole page sets ``<html lang>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from central_api.web.layout import TEMPLATE_DIR

TEMPLATES = sorted(TEMPLATE_DIR.glob("*.html"))
NAMED_BY_ATTRIBUTE = ("aria-label", "aria-labelledby", "title")


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)


class _Markup(HTMLParser):
    """Collects what the accessibility rules need from one template."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[tuple[str, bool]] = []  # (id or tag, inside a <label>)
        self.stack: list[_Open] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.html_lang = values.get("lang", "")
        if tag == "label" and values.get("for"):
            self.label_for.add(values["for"])
        if tag == "img" and "alt" not in values:
            self.problems.append(f"<img> without alt: {values}")
        if tag in ("input", "select", "textarea") and values.get("type") != "hidden":
            named = any(values.get(name) for name in NAMED_BY_ATTRIBUTE[:2])
            in_label = any(item.tag == "label" for item in self.stack)
            self.fields.append((values.get("id", tag), named or in_label))
        if tag in ("button", "a", "label", "select", "textarea"):
            self.stack.append(_Open(tag, values))

    def handle_data(self, data: str) -> None:
        for item in self.stack:
            item.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1].tag != tag:
            return
        item = self.stack.pop()
        if tag in ("button", "a") and not _named(item):
            self.problems.append(f"<{tag}> without a name: {item.attrs}")


def _named(item: _Open) -> bool:
    # A link the script fills (a download) is named when it is shown: it has an id to fill.
    text = "".join(item.text).strip()
    by_attribute = any(item.attrs.get(name) for name in NAMED_BY_ATTRIBUTE)
    return bool(text or by_attribute or (item.tag == "a" and "hidden" in item.attrs))


def problems_of(path: Path) -> list[str]:
    """What `path`'s markup leaves unnamed."""
    markup = _Markup()
    markup.feed(path.read_text(encoding="utf-8"))
    markup.close()
    problems = list(markup.problems)
    for name, labelled in markup.fields:
        if not labelled and name not in markup.label_for:
            problems.append(f"field {name!r} has no label")
    if markup.html_lang is not None and "locale" not in markup.html_lang:
        problems.append(f"<html lang> is not the page's language: {markup.html_lang!r}")
    return problems


@pytest.mark.parametrize("path", TEMPLATES, ids=[path.name for path in TEMPLATES])
def test_every_field_button_and_image_of_a_template_is_named(path: Path) -> None:
    assert problems_of(path) == []


def test_the_check_finds_an_unlabelled_field_a_nameless_button_and_an_image(
    tmp_path: Path,
) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<html lang="en"><main><input id="q"><label for="other">x</label>'
        '<button type="button"></button><img src="a.png"><label>ok <input id="w"></label>'
        "</main></html>"
    )
    assert problems_of(page) == [
        "<button> without a name: {'type': 'button'}",
        "<img> without alt: {'src': 'a.png'}",
        "field 'q' has no label",
        "<html lang> is not the page's language: 'en'",
    ]
