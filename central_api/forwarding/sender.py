"""Send a batch of syslog frames over TCP or TLS (RFC 5425) and know that it arrived.

Syslog over TCP has no acknowledgement: bytes that `sendall` accepted may still die in a
buffer when the collector stops. Each batch therefore opens its own connection, sends its
frames, half-closes, and counts as delivered only when the collector, having read to the
end of the stream, closes its side. A collector that resets, refuses the TLS handshake or
does not answer in time fails the batch, and the caller sends it again: at-least-once.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DeliveryError", "SyslogTarget", "send_batch"]


class DeliveryError(RuntimeError):
    """A batch did not reach the collector (the message says where and why)."""


@dataclass(frozen=True)
class SyslogTarget:
    """Where lines go: host, port, TLS (with the CA file that signed the collector's cert)."""

    host: str
    port: int
    tls: bool = False
    ca_file: Path | None = None
    timeout_s: float = 10.0

    @property
    def name(self) -> str:
        """``host:port``, the target's key in the cursor table."""
        return f"{self.host}:{self.port}"


def _connect(target: SyslogTarget) -> socket.socket:
    sock = socket.create_connection((target.host, target.port), timeout=target.timeout_s)
    if not target.tls:
        return sock
    context = ssl.create_default_context(
        cafile=str(target.ca_file) if target.ca_file is not None else None
    )
    try:
        return context.wrap_socket(sock, server_hostname=target.host)
    except BaseException:
        sock.close()
        raise


def _wait_for_close(sock: socket.socket) -> None:
    # The collector answers nothing; an orderly end of its stream means it read ours.
    while True:
        try:
            chunk = sock.recv(4096)
        except ssl.SSLEOFError:  # gnutls peers may close without close_notify
            return
        if not chunk:
            return


def send_batch(target: SyslogTarget, frames: Sequence[bytes]) -> None:
    """Deliver `frames` (already octet-counted) in one connection.

    Raises:
        DeliveryError: connecting, the TLS handshake, sending or the close failed.
    """
    where = f"syslog target {target.name}{' (TLS)' if target.tls else ''}"
    try:
        sock = _connect(target)
    except ssl.SSLError as exc:
        raise DeliveryError(f"{where}: TLS handshake failed: {exc}") from exc
    except OSError as exc:
        raise DeliveryError(f"{where}: cannot connect: {exc}") from exc
    try:
        sock.sendall(b"".join(frames))
        sock.shutdown(socket.SHUT_WR)
        _wait_for_close(sock)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"{where}: delivery not confirmed: {exc}") from exc
    finally:
        sock.close()
