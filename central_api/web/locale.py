"""The language a page is rendered in, chosen once per request.

The order: ``?lang=xx`` (which also sets the ``pg_lang`` cookie, so public pages such as
the login and the staff-report page remember it), else that cookie, else the browser's
``Accept-Language``. A user's stored choice (``users.locale``) reaches the cookie when they
choose it and at every login, so it follows them to another browser. An unknown ``?lang``
is refused with 400 and sets nothing; a cookie that names no supported language (edited by
hand) is ignored.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from gate_protocol.i18n import (
    DEFAULT_LOCALE,
    UnknownLocaleError,
    negotiate_locale,
    parse_locale,
)
from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LOCALE_COOKIE", "PageLocale", "lang_cookie_header", "page_locale", "use_locale"]

LOCALE_COOKIE = "pg_lang"
_YEAR_S = 365 * 24 * 3600
_PAGE_LOCALE: ContextVar[str] = ContextVar("pg_page_locale", default=DEFAULT_LOCALE)


def page_locale() -> str:
    """The locale of the page being rendered in this request."""
    return _PAGE_LOCALE.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Render in `locale` inside the block (a user's stored choice outranks the request's)."""
    token = _PAGE_LOCALE.set(locale)
    try:
        yield
    finally:
        _PAGE_LOCALE.reset(token)


def lang_cookie_header(locale: str) -> str:
    """The ``Set-Cookie`` value that remembers `locale` (a preference, not a secret)."""
    return f"{LOCALE_COOKIE}={locale}; Max-Age={_YEAR_S}; Path=/; SameSite=Lax"


def _cookie_locale(headers: dict[bytes, bytes]) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # noqa: BLE001 (a malformed cookie header: no choice, not an error)
        return None
    morsel = jar.get(LOCALE_COOKIE)
    if morsel is None:
        return None
    try:
        return parse_locale(morsel.value)
    except UnknownLocaleError:
        return None


class PageLocale:
    """ASGI middleware: choose the request's locale; ``?lang=xx`` on a page remembers it."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set the locale for the request; refuse an unknown ``?lang`` before the route runs."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang")
        chosen: str | None = None
        if asked and scope.get("method") == "GET" and not scope["path"].startswith("/api/"):
            try:
                chosen = parse_locale(asked[-1])
            except UnknownLocaleError as error:
                await PlainTextResponse(str(error), status_code=400)(scope, receive, send)
                return
        locale = chosen or _cookie_locale(headers)
        if locale is None:
            locale = negotiate_locale(headers.get(b"accept-language", b"").decode("latin-1"))

        async def remember(message: Message) -> None:
            if chosen is not None and message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", lang_cookie_header(chosen))
            await send(message)

        with use_locale(locale):
            await self.app(scope, receive, remember)
