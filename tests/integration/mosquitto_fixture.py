"""Start a real mosquitto for a test: free port, private directory, always stopped.

Reusable by every integration test::

    broker = start_mosquitto(tmp_path)                      # anonymous broker
    broker = start_mosquitto(tmp_path, conf_text=conf)      # conf with a "{port}" placeholder
    broker.port; broker.stop(); broker.restart(); broker.kill()

The ``mosquitto_factory`` / ``mosquitto`` fixtures (tests/integration/conftest.py) stop
every broker they started, whatever the test did.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
_ANONYMOUS_CONF = "listener {port} 127.0.0.1\nallow_anonymous true\n"


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mosquitto_available() -> bool:
    """Whether the mosquitto binary is installed."""
    return Path(MOSQUITTO).exists()


@dataclass
class MosquittoProcess:
    """A running mosquitto; `conf_path` and `log_path` live in its private directory."""

    port: int
    workdir: Path
    conf_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, *, timeout_s: float = 10.0) -> None:
        """Start (or start again) and wait until it accepts TCP connections."""
        if self.process is not None and self.process.poll() is None:
            return
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (fixed binary, test-owned config)
            [MOSQUITTO, "-c", str(self.conf_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"mosquitto did not listen on {self.port}:\n{self.log()}")

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """SIGTERM (mosquitto saves its persistence file) and wait."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: a crash, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Stop gracefully and start again on the same port with the same config."""
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        """The broker's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


MosquittoFactory = Callable[..., "MosquittoProcess"]


def start_mosquitto(
    tmp_path: Path, *, conf_text: str = _ANONYMOUS_CONF, port: int | None = None
) -> MosquittoProcess:
    """Start mosquitto with `conf_text` (``{port}`` is replaced by the chosen port).

    The config is written to a fresh directory under `tmp_path`; the caller (or the
    fixture) must call ``stop()``.
    """
    port = free_port() if port is None else port
    workdir = tmp_path / f"mosquitto-{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    conf_path = workdir / "mosquitto.conf"
    text = conf_text.replace("{port}", str(port))
    if os.geteuid() == 0 and not any(line.startswith("user ") for line in text.splitlines()):
        # As root, mosquitto would switch to the `mosquitto` user and lose the test's files.
        text += "\nuser root\n"
    conf_path.write_text(text)
    broker = MosquittoProcess(
        port=port, workdir=workdir, conf_path=conf_path, log_path=workdir / "mosquitto.log"
    )
    broker.start()
    return broker


class MqttProbe:
    """A small paho-mqtt 2.x client for tests: records messages, waits for them."""

    def __init__(
        self,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "",
        clean_session: bool = True,
    ) -> None:
        import threading

        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.messages: list[tuple[str, bytes, bool]] = []
        self.connect_result: object = None
        self.disconnects: list[object] = []
        self.granted: list[object] = []
        self._cond = threading.Condition()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,
            protocol=mqtt.MQTTv311,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.port = port

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self.connect_result = reason_code
        self._notify()

    def _on_message(self, client, userdata, message):  # type: ignore[no-untyped-def]
        with self._cond:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))
            self._cond.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self.disconnects.append(reason_code)
        self._notify()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):  # type: ignore[no-untyped-def]
        self.granted.extend(reason_codes)
        self._notify()

    def wait_for(self, predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
        """Wait until `predicate()` is true; return whether it became true."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def connect(self, *, timeout: float = 5.0) -> object:
        """Connect, start the network loop and return the CONNACK reason code."""
        self.client.connect("127.0.0.1", self.port, keepalive=10)
        self.client.loop_start()
        self.wait_for(lambda: self.connect_result is not None, timeout)
        return self.connect_result

    @property
    def connected(self) -> bool:
        """Whether the broker accepted the connection and it is still up."""
        return bool(self.client.is_connected())

    def subscribe(self, topic: str, *, timeout: float = 5.0) -> object:
        """Subscribe with QoS 1 and wait for the SUBACK; return its reason code."""
        before = len(self.granted)
        self.client.subscribe(topic, qos=1)
        self.wait_for(lambda: len(self.granted) > before, timeout)
        return self.granted[-1] if len(self.granted) > before else None

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish with QoS 1 and wait until the broker has it."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=5)

    def on_topic(self, topic: str) -> list[bytes]:
        """Payloads received on `topic` so far."""
        with self._cond:
            return [payload for t, payload, _ in self.messages if t == topic]

    def close(self) -> None:
        """Disconnect and stop the network loop."""
        self.client.disconnect()
        self.client.loop_stop()
