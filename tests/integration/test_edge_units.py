"""The edge services under systemd: the shipped units verify, and the services notify.

`portgate bridge` and `portgate agent` run as Type=notify units with a watchdog
(configs/systemd/portgate-{agent,bridge}.service): the bridge, started as a real process
with a real NOTIFY_SOCKET, sends READY=1 and then WATCHDOG=1 while its loop's heartbeat is
fresh, STOPPING=1 on SIGTERM; with a stale heartbeat the notifier sends no ping.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from portgate.sd_notify import ServiceNotifier, notify, watchdog_seconds
from testkit.mosquitto import MosquittoProcess

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "configs" / "systemd"
PORTGATE = Path(sys.executable).with_name("portgate")


def _settings(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.replace("\\\n", " ").splitlines():
        match = re.match(r"^(\w+)=(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(60)
    yield sock, path
    sock.close()


def _receive_until(sock: socket.socket, wanted: str, seen: list[str]) -> None:
    while not any(m.startswith(wanted) for m in seen):
        seen.append(sock.recv(4096).decode())


@pytest.mark.parametrize("service", ["agent", "bridge"])
def test_the_edge_units_are_watched_notify_services_that_verify(
    service: str, tmp_path: Path
) -> None:
    text = (UNITS / f"portgate-{service}.service").read_text()
    settings = _settings(text)
    assert settings["Type"] == "notify"
    assert int(settings["WatchdogSec"]) > 5  # the agent's heartbeat is touched every 5 s
    assert settings["Restart"] == "on-failure"
    command = settings["ExecStart"].split()
    assert command[0].endswith("/bin/portgate") and command[1] == service
    _verify(tmp_path, f"portgate-{service}.service", command[0])


def test_the_api_unit_verifies(tmp_path: Path) -> None:
    text = (UNITS / "portgate-api.service").read_text()
    command = _settings(text)["ExecStart"].split()
    assert command[1:3] == ["api", "--host"] and _settings(text)["Restart"] == "on-failure"
    _verify(tmp_path, "portgate-api.service", command[0])


def _verify(tmp_path: Path, name: str, executable: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    # verify checks that the command exists: point it at this checkout's portgate.
    unit = tmp_path / name
    unit.write_text((UNITS / name).read_text().replace(executable, str(PORTGATE)))
    checked = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, check=False, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == "", checked.stderr  # unknown keys are only warned about


def test_the_bridge_sends_ready_and_watchdog_pings_then_stopping(
    mosquitto: MosquittoProcess, notify_socket: tuple[socket.socket, str], tmp_path: Path
) -> None:
    sock, path = notify_socket
    config = yaml.safe_load((REPO / "configs" / "bridge-example.yaml").read_text())
    config["mqtt"].update(port=mosquitto.port, username=None)
    config["state_dir"] = str(tmp_path / "state")
    config["heartbeat_path"] = str(tmp_path / "heartbeat")
    config_file = tmp_path / "bridge.yaml"
    config_file.write_text(yaml.safe_dump(config))
    env = {
        **os.environ,
        "PORTGATE_MQTT_PASSWORD": secrets.token_urlsafe(48),  # anonymous broker: unchecked
        "NOTIFY_SOCKET": path,
        "WATCHDOG_USEC": "4000000",  # pings every 2 s
    }
    process = subprocess.Popen([str(PORTGATE), "bridge", "--config", str(config_file)], env=env)
    seen: list[str] = []
    try:
        sock.settimeout(120)  # a loaded machine starts the CLI slowly
        _receive_until(sock, "READY=1", seen)
        sock.settimeout(30)
        assert "STATUS=bridge for rotterdam-t1/gate-a running" in seen[-1]
        _receive_until(sock, "WATCHDOG=1", seen)
        count = seen.count("WATCHDOG=1")
        seen.append(sock.recv(4096).decode())
        assert seen.count("WATCHDOG=1") == count + 1  # and it goes on pinging
        process.send_signal(signal.SIGTERM)
        _receive_until(sock, "STOPPING=1", seen)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_no_watchdog_ping_while_the_heartbeat_is_stale(
    notify_socket: tuple[socket.socket, str], tmp_path: Path
) -> None:
    sock, path = notify_socket
    heartbeat = tmp_path / "heartbeat"
    heartbeat.touch()
    os.utime(heartbeat, (1, 1))  # the loop last beat long ago
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"}  # a ping due every 0.5 s
    notifier = ServiceNotifier(heartbeat=heartbeat, environ=env)
    notifier.ready("test")
    assert sock.recv(4096).decode().startswith("READY=1")
    sock.settimeout(2.5)
    with pytest.raises(TimeoutError):
        sock.recv(4096)  # five ping periods pass without WATCHDOG=1
    heartbeat.touch()  # the loop beats again: the pings come back
    sock.settimeout(30)
    assert sock.recv(4096).decode() == "WATCHDOG=1"
    notifier.stopping()
    messages = [sock.recv(4096).decode()]
    _receive_until(sock, "STOPPING=1", messages)


def test_outside_systemd_nothing_is_sent_and_another_pids_watchdog_is_not_ours() -> None:
    assert notify("READY=1", {}) is False
    assert watchdog_seconds({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_seconds({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_seconds({}) is None
    assert notify("READY=1", {"NOTIFY_SOCKET": "/nonexistent/notify.sock"}) is False
