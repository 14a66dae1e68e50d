"""The system's Chromium for browser tests: launched through Playwright, skipped where absent.

Only Debian's /usr/bin/chromium is used; no browser is ever downloaded. A test without it,
or without the playwright package, is skipped. Playwright's objects are typed `Any` here
as in the tests (the package is optional and ships no stubs the checks rely on).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "chromium", "log_in", "sync_api", "DESK_USER", "open_desk"]

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, the only browser the tests run."""

CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu")
"""What every launch passes: no sandbox (containers, root) and no GPU (headless hosts)."""


def sync_api() -> Any:
    """Playwright's sync API, or skip the test: no Chromium at `CHROMIUM`, or no playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    return pytest.importorskip("playwright.sync_api")


@contextmanager
def chromium(*extra_args: str) -> Iterator[Any]:
    """A headless Chromium with `CHROMIUM_ARGS` and `extra_args`; closed on the way out.

    Skips the test as `sync_api` does.
    """
    api = sync_api()
    with api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()


def log_in(
    page: Any,
    base_url: str,
    username: str,
    password: str,
    *,
    next_path: str = "/dashboard",
    timeout_ms: float | None = 5000,
    via_redirect: bool = False,
) -> None:
    """Log `page` in through the login form and wait until it lands on `next_path`.

    Args:
        page: A Playwright page.
        base_url: The server's origin, ``http://127.0.0.1:PORT``.
        username: What goes in the form's username field.
        password: What goes in its password field.
        next_path: Where the login sends the browser afterwards.
        timeout_ms: How long each wait for a URL may take; None: the page's default timeout.
        via_redirect: Open `next_path` itself and wait to be sent to the login form
            (``/login?next=...``) rather than open the form directly.
    """
    if via_redirect:
        page.goto(base_url + next_path)
        page.wait_for_url("**/login?next=" + next_path, timeout=timeout_ms)
    else:
        page.goto(base_url + "/login?next=" + next_path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**" + next_path, timeout=timeout_ms)


# The security-desk account testkit.api's seeded worlds create.
DESK_USER = "security_desk-user"


def open_desk(
    browser: Any,
    base_url: str,
    password: str,
    *,
    viewport: dict[str, int],
    bypass_csp: bool = False,
    via_redirect: bool = False,
) -> Any:
    """A new page logged in as the desk user on /desk.

    Every wait may take up to 60 s: desk pages load photos and face models on a loaded
    machine.
    """
    page = browser.new_page(viewport=viewport, bypass_csp=bypass_csp)
    page.set_default_timeout(60_000)
    log_in(
        page,
        base_url,
        DESK_USER,
        password,
        next_path="/desk",
        timeout_ms=None,
        via_redirect=via_redirect,
    )
    return page
