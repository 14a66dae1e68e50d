"""The demo's API: uvicorn in a thread, and a cuttable TCP link that the gate agents go through.

Cutting the link is how the demo takes the API away from the gates (the "network is down"
case of docs/architecture.md, decisions) while the dashboard and the MQTT ingest keep running.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

__all__ = ["ApiServer", "CuttableLink"]

_log = logging.getLogger(__name__)


class ApiServer:
    """Serve a FastAPI app with uvicorn on a background thread.

    Args:
        app: The application.
        host: Listen address.
        port: Listen port.
    """

    def __init__(self, app: FastAPI, *, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="demo-api", daemon=True)

    def start(self, *, timeout_s: float = 30.0) -> None:
        """Start serving and wait until uvicorn has started.

        Raises:
            RuntimeError: it did not start in time (e.g. the port is taken).
        """
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._server.started:
                return
            if not self._thread.is_alive():
                break
            time.sleep(0.05)
        raise RuntimeError("the API did not start (is the port already in use?)")

    def stop(self, *, timeout_s: float = 15.0) -> None:
        """Ask uvicorn to finish (runs the app's shutdown) and wait."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)


class CuttableLink:
    """A TCP forwarder 127.0.0.1:`port` -> 127.0.0.1:`target`; `cut()` drops and refuses.

    Args:
        target: The port forwarded to.
        port: The port listened on.
    """

    def __init__(self, *, target: int, port: int) -> None:
        self.port = port
        self._target = target
        self._up = threading.Event()
        self._up.set()
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", port))
        self._listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept_loop, name="demo-link", daemon=True)

    @property
    def up(self) -> bool:
        """Whether the link forwards."""
        return self._up.is_set()

    def start(self) -> None:
        """Start accepting."""
        self._thread.start()

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until `restore`."""
        self._up.clear()
        self._close_all()
        _log.warning("demo: gate -> API link cut")

    def restore(self) -> None:
        """Forward again."""
        self._up.set()
        _log.warning("demo: gate -> API link restored")

    def stop(self) -> None:
        """Stop accepting and close everything."""
        self._stop.set()
        self._thread.join(timeout=2)
        self._listener.close()
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self._target), timeout=2)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open.discard(src)
            src.close()
