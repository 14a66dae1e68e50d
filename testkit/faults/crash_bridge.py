"""A gate's bridge in a child process that can be killed -9 between the relay pulse and the ack.

The child runs the real `Bridge` on the real MQTT bus with a simulated turnstile whose relay
writes each release to a file (fsync'd before the call returns, so it survives the kill)
and, when told, freezes the worker right after the first release: the bridge has pulsed the
relay but not yet acked. The test then SIGKILLs it at a known point instead of racing it.
"""

from __future__ import annotations

import os
from pathlib import Path

from firmware_bridge.config import BridgeConfig
from testkit.faults.crash_bridge_child import relay_releases
from testkit.faults.fleet import ChildProcess

__all__ = ["bridge_child", "relay_releases"]

_PASSWORD_ENV = "PORTGATE_FLEET_MQTT_PASSWORD"  # noqa: S105 (an env var name)
_MAIN = "import sys; from testkit.faults.crash_bridge_child import main; main(sys.argv[1:])"


def bridge_child(
    *, config: BridgeConfig, password: str, workdir: Path, freeze: bool
) -> ChildProcess:
    """A child process running `config`'s bridge (not started yet)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "bridge.json"
    config_path.write_text(config.model_dump_json(), encoding="utf-8")
    env = {**os.environ, _PASSWORD_ENV: password}
    args = ["-c", _MAIN, str(config_path), str(workdir / "relay.log")]
    mode = "freeze" if freeze else "run"
    return ChildProcess(f"bridge-{config.gate}-{mode}", [*args, mode], env, workdir / "bridge.log")
