"""The shared page layout of PortGate's web pages (dashboard, security desk).

Templates are Jinja2 files in ``web/templates`` with autoescape on: every value is
HTML-escaped unless it is `SafeHtml` (markupsafe's `Markup`: fragments written by us, never
data). Texts are written ``{{ _("...") }}`` and translated into the page's locale
(`central_api.web.locale`); the page's scripts get their catalog as the JSON data block
``#pg-i18n`` that `PG.t` reads. Pages load JavaScript only as static files, so the
Content-Security-Policy forbids inline scripts entirely. Use `render_page` for a new page::

    render_page(title="Desk", page_id="desk", user=user, csrf_token=token,
                content=render_template("desk.html"), scripts=["desk.js"],
                nav=[NavItem("/desk", "Desk")])
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from fastapi.responses import HTMLResponse
from gate_protocol.i18n import LOCALE_NAMES, SUPPORTED_LOCALES, catalog_messages, translator
from gate_protocol.i18n.catalogs import translations
from markupsafe import Markup

from central_api.security.auth import UserPrincipal
from central_api.security.headers import SECURITY_HEADERS
from central_api.web.locale import page_locale

__all__ = [
    "SECURITY_HEADERS",
    "STATIC_DIR",
    "TEMPLATE_DIR",
    "NavItem",
    "SafeHtml",
    "gettext",
    "render_page",
    "render_template",
]

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


class SafeHtml(Markup):
    """HTML written by us (a template fragment), inserted without escaping."""

    __slots__ = ()


_NO_HTML = SafeHtml("")


@dataclass(frozen=True, slots=True)
class NavItem:
    """A link in the page header (the label is English; it is translated when shown)."""

    href: str
    label: str


def gettext(message: str, /, **values: object) -> str:
    """`message` in the page's locale, {name} placeholders filled from `values`."""
    return translator(page_locale())(message, **values)


def _ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    text = translations(page_locale()).ngettext(singular, plural, n)
    return text.format(n=n, **values)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a slot must not render an empty part
        extensions=["jinja2.ext.i18n"],
    )
    # Not newstyle: the messages use {name} like the scripts' PG.t, filled by `gettext`.
    env.globals.update(_=gettext, gettext=gettext, ngettext=_ngettext, i18n_block=i18n_block)
    env.globals["locales"] = [(code, LOCALE_NAMES[code]) for code in SUPPORTED_LOCALES]
    return env


def render_template(name: str, **values: object) -> SafeHtml:
    """Render template `name`: plain strings are escaped, `SafeHtml` is not.

    Raises:
        ValueError: `name` is not one of our templates.
        jinja2.UndefinedError: A slot has no value.
    """
    path = (TEMPLATE_DIR / name).resolve()
    if path.parent != TEMPLATE_DIR or path.suffix != ".html":
        raise ValueError(f"not a template: {name!r}")
    values.setdefault("locale", page_locale())  # <html lang> and the language menu
    return SafeHtml(_environment().get_template(name).render(**values))


def i18n_block() -> SafeHtml:
    """The page's catalog for its scripts: a JSON data block (the CSP runs no inline script)."""
    data = json.dumps(catalog_messages(page_locale()), ensure_ascii=True, sort_keys=True)
    # Inside a <script> element "</script" or "<!--" would end or bend it: no "<" at all.
    return SafeHtml(
        '<script type="application/json" id="pg-i18n">' + data.replace("<", "\\u003c") + "</script>"
    )


def render_page(
    *,
    title: str,
    page_id: str,
    user: UserPrincipal,
    csrf_token: str,
    content: SafeHtml,
    scripts: tuple[str, ...] | list[str] = (),
    nav: tuple[NavItem, ...] | list[NavItem] = (),
    header_extra: SafeHtml = _NO_HTML,
    zone: str | None = None,
) -> HTMLResponse:
    """A whole page in the shared layout, in the request's language, security headers set.

    `zone`: the IANA time zone of the user's site, in which the scripts show times.
    """
    body = render_template(
        "layout.html",
        title=title,
        page_id=page_id,
        csrf_token=csrf_token,
        username=user.username,
        role=str(user.role),
        nav=nav,
        header_extra=header_extra,
        content=content,
        scripts=("pg-dom.js", *scripts),
        i18n=i18n_block(),
        zone=zone or "",
    )
    return HTMLResponse(body, headers=SECURITY_HEADERS)
