"""The lane pages' HTTP server: a daemon thread in the agent, standard library only.

``GET /lane/<n>?token=…`` is the page, ``GET /lane/<n>/events?token=…`` its Server-Sent
Events (the screen now, then each change), ``GET /lane/assets/<file>`` its script and
style. The token is the lane's own (compared in constant time); a wrong or missing one
gets 403 and an unknown lane 404, both with the same page that says nothing. Only GET.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from gate_protocol.secret_strength import WeakSecretError, check_secret_text, dev_mode_from_env

from gate_agent.display.board import LaneBoard
from gate_agent.display.page import CSP, error_page, lane_page, static_file
from gate_agent.display.settings import DisplayConfig, token_env

__all__ = ["DisplayConfigError", "LaneDisplayServer", "read_lane_tokens"]

_log = logging.getLogger(__name__)
_LANE_PATH = re.compile(r"^/lane/(\d{1,2})(/events)?$")
_HEARTBEAT_S = 15.0
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class DisplayConfigError(ValueError):
    """The display section names a lane the gate lacks, or a lane token is unset or weak."""


def read_lane_tokens(
    lanes: tuple[int, ...], env: Mapping[str, str] | None = None
) -> dict[int, str]:
    """Each lane's display token from PORTGATE_LANE_TOKEN_<lane>.

    Raises:
        DisplayConfigError: a lane's variable is not set, or (not in dev mode) its value is weak.
    """
    source = os.environ if env is None else env
    tokens: dict[int, str] = {}
    for lane in lanes:
        name = token_env(lane)
        value = source.get(name, "")
        if not value:
            raise DisplayConfigError(f"lane display: environment variable {name} is not set")
        if not dev_mode_from_env():
            try:
                check_secret_text(f"{name} (lane {lane} display token)", value)
            except WeakSecretError as exc:
                raise DisplayConfigError(str(exc)) from None
        tokens[lane] = value
    return tokens


class LaneDisplayServer:
    """Serves the lanes' pages from `board`; nothing when the config sets no port.

    Args:
        config: Where to listen and how the page behaves.
        board: The lanes' screens.
        tokens: Each lane's token (lanes without one have no page).
    """

    def __init__(self, config: DisplayConfig, board: LaneBoard, tokens: Mapping[int, str]) -> None:
        self.config = config
        self.board = board
        self._tokens = dict(tokens)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int | None:
        """The port it listens on while started."""
        return self._server.server_address[1] if self._server is not None else None

    def start(self) -> None:
        """Listen, if the config names a port.

        Raises:
            OSError: The address cannot be bound.
        """
        if self.config.port is None or self._server is not None:
            return
        self._server = ThreadingHTTPServer((self.config.host, self.config.port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lane-display", daemon=True
        )
        self._thread.start()
        _log.info("lane display on http://%s:%d/lane/<n>", self.config.host, self.port)

    def stop(self) -> None:
        """Stop listening and end every event stream."""
        self._stopping.set()
        self.board.close()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._server = self._thread = None

    def admits(self, lane: int, token: str) -> bool:
        """Whether `token` is `lane`'s (constant time; a lane without a token admits none)."""
        wanted = self._tokens.get(lane)
        return wanted is not None and hmac.compare_digest(wanted.encode(), token.encode())

    @property
    def stopping(self) -> bool:
        """Whether the server is stopping (event streams end)."""
        return self._stopping.is_set()


def _handler(display: LaneDisplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "PortGate"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # the URL holds the token: never logged

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            url = urlsplit(self.path)
            if url.path.startswith("/lane/assets/"):
                found = static_file(url.path.removeprefix("/lane/assets/"))
                if found is None:
                    self._page(404)
                else:
                    self._send(200, found[0], found[1])
                return
            match = _LANE_PATH.match(url.path)
            lane = int(match.group(1)) if match else None
            if lane is None or lane not in display.board.lanes:
                self._page(404)
                return
            token = parse_qs(url.query).get("token", [""])[0]
            if not display.admits(lane, token):
                self._page(403)
            elif match is not None and match.group(2):
                self._events(lane)
            else:
                page = lane_page(lane, sound=display.config.sound)
                self._send(200, page.encode(), "text/html; charset=utf-8")

        def do_POST(self) -> None:  # noqa: N802
            self._page(405)

        do_PUT = do_DELETE = do_PATCH = do_POST  # noqa: N815

        def _page(self, status: int) -> None:
            self._send(status, error_page().encode(), "text/html; charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in _HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _events(self, lane: int) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            for name, value in _HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            seq = -1
            try:
                while not display.stopping:
                    screen = display.board.wait(lane, after=seq, timeout=_HEARTBEAT_S)
                    if screen.seq == seq:
                        self.wfile.write(b": still here\n\n")
                    else:
                        seq = screen.seq
                        data = json.dumps(screen.as_json(), ensure_ascii=False)
                        self.wfile.write(f"event: screen\ndata: {data}\n\n".encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return  # the page went away

    return Handler
