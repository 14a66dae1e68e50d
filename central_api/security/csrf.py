"""The one CSRF rule: a state change made with the session cookie proves it came from our page.

``SameSite=strict`` does not stop a page on another port of the same host, so every unsafe
request (POST, PUT, PATCH, DELETE) authenticated by the session cookie must carry
``X-CSRF-Token`` (an HMAC of that cookie under the server secret, which our pages hand out in
a meta tag) and an ``Origin`` (or, without one, a ``Referer``) on the API's own host and port.
`RoleRequirement` applies it wherever it resolves a user from the cookie, so no route can
forget it; bearer tokens and gate keys are not sent by browsers on their own and are exempt.
"""

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, status

__all__ = ["CSRF_HEADER", "SAFE_METHODS", "check_cookie_request", "csrf_token_for"]

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token_for(*, secret: str, session_cookie: str) -> str:
    """The CSRF token bound to one session cookie (changes with every login)."""
    mac = hmac.new(secret.encode(), b"csrf|" + session_cookie.encode(), hashlib.sha256)
    return mac.hexdigest()


def _same_origin(request: Request) -> bool:
    # The browser's Origin (else Referer) names the page that sent the request; the Host
    # header names us. Both carry the port, so another port of this host does not match.
    sender = request.headers.get("origin") or request.headers.get("referer")
    if not sender or sender == "null":
        return False
    host = request.headers.get("host", "")
    return bool(host) and urlsplit(sender).netloc.lower() == host.lower()


def check_cookie_request(request: Request, *, secret: str, session_cookie: str) -> None:
    """Refuse (403) an unsafe cookie-authenticated request from another origin or without token."""
    if request.method in SAFE_METHODS:
        return
    expected = csrf_token_for(secret=secret, session_cookie=session_cookie)
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="missing or wrong CSRF token")
    if not _same_origin(request):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="cross-origin request refused (Origin/Referer)"
        )
