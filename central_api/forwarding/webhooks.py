"""Signed alarm webhooks: the signature, one delivery with retries, the settings.

The signature follows Stripe's scheme: header ``PortGate-Signature: t=<unix seconds>,
v1=<hex HMAC-SHA256 over "<t>.<body>">`` with the shared secret. The receiver recomputes
it over the raw body and refuses a timestamp older than its tolerance, which stops
replays of a captured request. A delivery is tried `attempts` times with exponential
backoff and full jitter (AWS's "full jitter": a random wait up to the doubled delay).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

__all__ = [
    "SIGNATURE_HEADER",
    "WebhookConfigError",
    "WebhookError",
    "WebhookTarget",
    "deliver",
    "sign",
    "webhook_target",
]

SIGNATURE_HEADER = "PortGate-Signature"
MIN_SECRET = 32


class WebhookError(RuntimeError):
    """Every attempt failed (the message holds the last error)."""


class WebhookConfigError(ValueError):
    """A webhook setting is malformed (the message names it)."""


@dataclass(frozen=True)
class WebhookTarget:
    """Where alarms go, the shared secret, and how hard to try."""

    url: str
    secret: str
    attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    timeout_s: float = 10.0

    @property
    def where(self) -> str:
        """Scheme, host and port only: a webhook's path or query often holds its token."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

    def __repr__(self) -> str:  # neither the secret nor a token in the URL reaches a log
        return f"WebhookTarget({self.where}, attempts={self.attempts})"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _post_once(client: httpx.Client, target: WebhookTarget, body: bytes) -> None:
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(target.secret, int(time.time()), body),
    }
    response = client.post(target.url, content=body, headers=headers)
    if not response.is_success:
        raise WebhookError(f"webhook {target.where} answered {response.status_code}")


def deliver(
    target: WebhookTarget,
    body: bytes,
    *,
    attempts: int | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> int:
    """POST `body` until a 2xx answer; the attempts it took.

    Raises:
        WebhookError: no attempt got a 2xx answer (the last error is in the message).
    """
    tries = attempts or target.attempts
    last = ""
    with httpx.Client(timeout=target.timeout_s) as client:
        for attempt in range(1, tries + 1):
            try:
                _post_once(client, target, body)
                return attempt
            except httpx.HTTPError as exc:
                last = f"webhook {target.where}: {type(exc).__name__}"
            except WebhookError as exc:
                last = str(exc)
            if attempt < tries:
                ceiling = min(target.max_delay_s, target.base_delay_s * 2 ** (attempt - 1))
                sleep(random.uniform(0, ceiling))  # noqa: S311 - jitter, not a secret
    raise WebhookError(f"{last} (after {tries} attempts)")


def webhook_target(env: Mapping[str, str]) -> WebhookTarget | None:
    """``PORTGATE_WEBHOOK_URL``, ``_SECRET`` and ``_ATTEMPTS``; None without a URL.

    Raises:
        WebhookConfigError: a setting is malformed or the secret too short.
    """
    url = env.get("PORTGATE_WEBHOOK_URL")
    if not url:
        return None
    if not url.startswith(("https://", "http://")):
        raise WebhookConfigError("PORTGATE_WEBHOOK_URL must be an http(s):// URL")
    secret = env.get("PORTGATE_WEBHOOK_SECRET", "")
    if len(secret) < MIN_SECRET:
        raise WebhookConfigError(
            f"PORTGATE_WEBHOOK_SECRET must be at least {MIN_SECRET} characters"
        )
    attempts = env.get("PORTGATE_WEBHOOK_ATTEMPTS", "5")
    if not attempts.isdigit() or not 1 <= int(attempts) <= 20:
        raise WebhookConfigError("PORTGATE_WEBHOOK_ATTEMPTS must be 1 to 20")
    return WebhookTarget(url=url, secret=secret, attempts=int(attempts))
