"""One line for an error nobody caught, so a CLI user reads a cause, not a traceback."""

from __future__ import annotations

import httpx

from portgate.language import _

__all__ = ["one_line_error"]


def one_line_error(exc: BaseException) -> str:
    """What went wrong, in one line: the API that cannot be reached, or the error itself."""
    if isinstance(exc, httpx.TransportError):
        url = exc.request.url if _has_request(exc) else _("the API")
        return _(
            "cannot reach {url}: {error}", url=url, error=_first_line(exc) or type(exc).__name__
        )
    if isinstance(exc, httpx.HTTPStatusError):
        request = f"{exc.request.method} {exc.request.url}"
        return _("{request} answered {status}", request=request, status=exc.response.status_code)
    text = _first_line(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        exc.request  # noqa: B018 - httpx raises when the error has no request
    except RuntimeError:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""
