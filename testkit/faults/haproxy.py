"""HAProxy (Debian's ``haproxy``) in front of several API replicas on this machine.

The generated config balances round robin over the replicas, checks each with
``GET /healthz`` every half second (two failures take one out, two successes bring it
back) and, when a connection to a replica is refused, sends the request to another
(``retries`` with ``option redispatch``). A request a replica accepted and then died in
is not re-sent: the client sees the error, as an agent would behind a real balancer, and
its own retry (the outbox's replay, the replica decision) takes over.

    proxy = start_haproxy(workdir, port, [8001, 8002]); proxy.stop()
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["HaProxy", "haproxy_available", "start_haproxy"]

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def haproxy_available() -> bool:
    """Whether Debian's haproxy is installed."""
    return Path(HAPROXY).exists()


def haproxy_config(port: int, backends: list[int]) -> str:
    """The config: one HTTP frontend on `port`, the `backends` ports with health checks."""
    servers = "\n".join(
        f"  server api{n} 127.0.0.1:{backend} check" for n, backend in enumerate(backends, 1)
    )
    return f"""global
  maxconn 4000

defaults
  mode http
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch

frontend api
  bind 127.0.0.1:{port}
  default_backend replicas

backend replicas
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
{servers}
"""


@dataclass
class HaProxy:
    """A running haproxy process."""

    port: int
    config: Path
    process: subprocess.Popen[bytes]

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait until a request through it reaches a replica; RuntimeError if none does."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"haproxy on port {self.port} reached no replica")

    def stop(self) -> None:
        """Stop it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_haproxy(workdir: Path, port: int, backends: list[int]) -> HaProxy:
    """Write the config to `workdir` and start haproxy in the foreground (as a child).

    Raises:
        RuntimeError: haproxy refused the config or exited at start (with its output).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "haproxy.cfg"
    config.write_text(haproxy_config(port, backends))
    log = workdir / "haproxy.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (a fixed binary, our own config)
            [HAPROXY, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    time.sleep(0.2)
    if process.poll() is not None:
        raise RuntimeError(f"haproxy exited at start: {log.read_text()}")
    return HaProxy(port=port, config=config, process=process)
