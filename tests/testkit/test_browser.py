"""testkit.browser.log_in drives the login form in the order the browser tests rely on."""

from typing import Any

from testkit.browser import log_in


class RecordingPage:
    """Stands in for a Playwright page: records each call and its arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args, kwargs))

        return record


def test_log_in_opens_the_form_fills_it_and_waits_for_the_landing_page() -> None:
    page = RecordingPage()
    log_in(page, "http://127.0.0.1:8000", "ria", "secret", next_path="/account", timeout_ms=30_000)
    assert page.calls == [
        ("goto", ("http://127.0.0.1:8000/login?next=/account",), {}),
        ("fill", ("input[name=username]", "ria"), {}),
        ("fill", ("input[name=password]", "secret"), {}),
        ("click", ("button[type=submit]",), {}),
        ("wait_for_url", ("**/account",), {"timeout": 30_000}),
    ]


def test_log_in_via_redirect_opens_the_page_and_waits_to_be_sent_to_the_form() -> None:
    page = RecordingPage()
    log_in(page, "http://h", "op", "pw", timeout_ms=None, via_redirect=True)
    assert [call[0] for call in page.calls] == [
        "goto",
        "wait_for_url",
        "fill",
        "fill",
        "click",
        "wait_for_url",
    ]
    assert page.calls[0][1] == ("http://h/dashboard",)
    assert page.calls[1] == ("wait_for_url", ("**/login?next=/dashboard",), {"timeout": None})
    assert page.calls[-1] == ("wait_for_url", ("**/dashboard",), {"timeout": None})
