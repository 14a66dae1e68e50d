"""A minimal MQTT 3.1.1 QoS 1 publisher: the benchmarks' gates, cheap on the CPU they share.

The gates of an ingest benchmark run on the same 2 cores as the broker, the API and
PostgreSQL. paho-mqtt spends about 0.25 ms of Python on each QoS 1 message it publishes:
in the 5,000-event ingest run that load generator took 1.2 s of the 6.5 s of CPU the whole
run used, so the figure said as much about the generator as about the server (the HTTP
benchmarks use wrk for the same reason). This one writes the PUBLISH packets itself, many
per system call, keeps at most `window` of them unacknowledged, and counts the PUBACKs.
It is a load generator only: no reconnect, no session, no subscriptions.
"""

from __future__ import annotations

import socket
import time

__all__ = ["connect_packet", "publish_all", "publish_packet"]

_CONNACK, _PUBACK = 0x20, 0x40
_CHUNK = 100  # packets written per system call at most


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _text(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return len(raw).to_bytes(2, "big") + raw


def connect_packet(client_id: str) -> bytes:
    """CONNECT: protocol "MQTT" level 4 (3.1.1), clean session, keep-alive 60 s."""
    body = _text("MQTT") + bytes([4, 0x02]) + (60).to_bytes(2, "big") + _text(client_id)
    return bytes([0x10]) + _remaining_length(len(body)) + body


def publish_packet(topic: str | bytes, payload: bytes, packet_id: int) -> bytes:
    """PUBLISH at QoS 1 (packet ids 1-65535)."""
    body = _text(topic) + packet_id.to_bytes(2, "big") + payload
    return bytes([0x32]) + _remaining_length(len(body)) + body


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        data += chunk
    return data


def publish_all(
    host: str,
    port: int,
    messages: list[tuple[str, bytes]],
    *,
    window: int = 1000,
    client_id: str = "bench-pub",
    timeout_s: float = 60.0,
) -> float:
    """Publish `messages` (topic, payload) at QoS 1 in order; return once all are acknowledged.

    Returns the seconds from the first packet written to the last PUBACK read.

    Raises:
        ConnectionError: The broker refused the connection or closed it.
        TimeoutError: No acknowledgement came for `timeout_s`.
    """
    window = max(1, min(window, 65_535))  # packet ids are 16-bit and never 0
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(connect_packet(client_id))
        connack = _read_exact(sock, 4)
        if connack[0] != _CONNACK or connack[3] != 0:
            raise ConnectionError(f"the broker refused the connection (CONNACK {connack.hex()})")
        started = time.perf_counter()
        sent = acked = 0
        pending = b""
        while acked < len(messages):
            if sent < len(messages) and sent - acked < window:
                end = min(len(messages), acked + window, sent + _CHUNK)
                sock.sendall(
                    b"".join(
                        publish_packet(topic, payload, i % 65_535 + 1)
                        for i, (topic, payload) in enumerate(messages[sent:end], start=sent)
                    )
                )
                sent = end
                continue
            chunk = sock.recv(65_536)
            if not chunk:
                raise ConnectionError("the broker closed the connection")
            pending += chunk
            while len(pending) >= 4:  # a PUBACK is 4 bytes: type, length 2, packet id
                if pending[0] & 0xF0 != _PUBACK or pending[1] != 2:
                    raise ConnectionError(f"unexpected packet from the broker: {pending[:4].hex()}")
                pending = pending[4:]
                acked += 1
        elapsed = time.perf_counter() - started
        sock.sendall(bytes([0xE0, 0]))  # DISCONNECT
        return elapsed
