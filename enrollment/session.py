"""Where the client finds the API and its token: options, environment, the token file.

The token file (``PORTGATE_TOKEN_FILE``, default ``~/.config/portgate/token``) is written
with mode 0600 by `portgate enroll login`; the environment variable ``PORTGATE_TOKEN``
wins over it. Tokens are never logged.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from enrollment.errors import NotLoggedInError

__all__ = ["DEFAULT_API_URL", "ClientSession", "resolve_session", "save_token", "token_file"]

DEFAULT_API_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class ClientSession:
    """The API's base URL and the bearer token to send."""

    api_url: str
    token: str


def token_file() -> Path:
    """The file `login` writes the token to."""
    configured = os.environ.get("PORTGATE_TOKEN_FILE")
    if configured:
        return Path(configured)
    return Path.home() / ".config" / "portgate" / "token"


def save_token(token: str, *, path: Path | None = None) -> Path:
    """Write the token readable by its owner only; returns the file."""
    target = path or token_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token)
    return target


def resolve_session(*, api_url: str | None = None, token: str | None = None) -> ClientSession:
    """The session from explicit values, else the environment, else the token file.

    Raises:
        NotLoggedInError: No token anywhere.
    """
    url = api_url or os.environ.get("PORTGATE_API_URL") or DEFAULT_API_URL
    found = token or os.environ.get("PORTGATE_TOKEN")
    if not found:
        path = token_file()
        if path.is_file():
            found = path.read_text(encoding="utf-8").strip()
    if not found:
        raise NotLoggedInError("not logged in: run `portgate enroll login` or set PORTGATE_TOKEN")
    return ClientSession(api_url=url.rstrip("/"), token=found)
