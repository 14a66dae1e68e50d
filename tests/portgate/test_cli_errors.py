"""An error nobody caught is one line and exit 1; `--debug` shows the traceback."""

import os
import subprocess
import sys

import httpx

from portgate.errors import one_line_error
from testkit.ports import free_port


def _enroll_login(*extra: str) -> subprocess.CompletedProcess[str]:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    return subprocess.run(
        [sys.executable, "-c", "from portgate.cli import main; main()", *extra]
        + ["enroll", "login", "--api", url, "--user", "admin"],
        env={**os.environ, "PORTGATE_PASSWORD": "not-used-here"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_api_that_is_down_is_one_line_naming_it() -> None:
    result = _enroll_login()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("portgate: cannot reach http://127.0.0.1:")
    assert "/api/v1/auth/token" in lines[0] and "--debug" in lines[0]


def test_debug_shows_the_traceback() -> None:
    result = _enroll_login("--debug")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "httpx.ConnectError" in result.stderr


def test_other_errors_name_their_kind_and_first_line() -> None:
    assert one_line_error(ValueError("bad value\nmore detail")) == "ValueError: bad value"
    assert one_line_error(KeyError()) == "KeyError"
    request = httpx.Request("GET", "http://api.example/x")
    response = httpx.Response(503, request=request)
    error = httpx.HTTPStatusError("unavailable", request=request, response=response)
    assert one_line_error(error) == "GET http://api.example/x answered 503"
