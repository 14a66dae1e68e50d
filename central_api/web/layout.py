"""The shared page layout of PortGate's web pages (dashboard, security desk).

Templates are plain HTML files in ``web/templates`` with ``{{name}}`` slots. Every value is
HTML-escaped unless it is wrapped in `SafeHtml` (template fragments written by us, never
data). Pages load JavaScript only as static files, so the Content-Security-Policy forbids
inline scripts entirely. Use `render_page` for a new page::

    render_page(request=..., title="Desk", page_id="desk", user=user, csrf_token=token,
                content=render_template("desk.html"), scripts=["desk.js"],
                nav=[NavItem("/desk", "Desk")])
"""

import html
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi.responses import HTMLResponse

from central_api.security.auth import UserPrincipal
from central_api.security.headers import SECURITY_HEADERS

__all__ = [
    "SECURITY_HEADERS",
    "STATIC_DIR",
    "TEMPLATE_DIR",
    "NavItem",
    "SafeHtml",
    "render_page",
    "render_template",
]

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
_SLOT = re.compile(r"\{\{([a-z_]+)\}\}")


class SafeHtml(str):
    """HTML written by us (a template fragment), inserted without escaping."""

    __slots__ = ()


_NO_HTML = SafeHtml("")


@dataclass(frozen=True, slots=True)
class NavItem:
    """A link in the page header."""

    href: str
    label: str


@cache
def _template(name: str) -> str:
    path = (TEMPLATE_DIR / name).resolve()
    if path.parent != TEMPLATE_DIR or path.suffix != ".html":
        raise ValueError(f"not a template: {name!r}")
    return path.read_text(encoding="utf-8")


def render_template(name: str, **values: str) -> SafeHtml:
    """Fill `name`'s ``{{slots}}``: plain strings are escaped, `SafeHtml` is not.

    Raises:
        KeyError: A slot has no value (a typo must not render an empty page part).
    """

    def fill(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        return value if isinstance(value, SafeHtml) else html.escape(value, quote=True)

    return SafeHtml(_SLOT.sub(fill, _template(name)))


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
    timezone: str = "UTC",
) -> HTMLResponse:
    """A whole page in the shared layout, with the security headers set.

    `timezone`: the IANA zone the page's scripts show times in (`PG.fmtTime`), the
    user's site's, not the browser's.
    """
    nav_html = "".join(
        f'<a href="{html.escape(item.href)}" data-nav="{html.escape(item.href)}">'
        f"{html.escape(item.label)}</a>"
        for item in nav
    )
    script_html = "".join(
        f'<script src="/static/{html.escape(name)}" defer></script>'
        for name in ("pg-dom.js", *scripts)
    )
    body = render_template(
        "layout.html",
        title=title,
        page_id=page_id,
        csrf_token=csrf_token,
        timezone=timezone,
        username=user.username,
        role=str(user.role),
        nav=SafeHtml(nav_html),
        header_extra=header_extra,
        content=content,
        scripts=SafeHtml(script_html),
    )
    return HTMLResponse(body, headers=SECURITY_HEADERS)
