"""The agent's checks before it starts: its gate and key known to the API, its broker there.

An agent whose gate the API does not know, whose key the API refuses or whose broker
cannot be reached would otherwise run on as if all were well, deciding nothing. Before
starting, `preflight` asks the API about its own gate with its key and connects to the
broker once; a failure is logged with what to fix and tried again a bounded number of
times (``PORTGATE_AGENT_START_ATTEMPTS``, default 5, pauses from
``PORTGATE_AGENT_START_BACKOFF_S``, default 2 s, doubling up to 30 s), then
`StartRefused` ends the start with a non-zero exit.

An API that does not answer at all is not a reason to stop: the agent is built to decide
from its replica while the API is away. Only the API's refusal of the gate or the key is.
Nor is an unreachable broker once this box holds a replica: an edge box restarted during a
network outage must go on deciding (issue 25: three days offline); a first start, with no
replica yet, is where a wrong broker address shows, and there it stops the start.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import paho.mqtt.client as mqtt
from gate_protocol.mqtt_connection import MqttConnection, MqttConnectionError, build_client
from paho.mqtt.reasoncodes import ReasonCode

from gate_agent.config import AgentConfig, ConfigError
from gate_agent.links.api_client import GATE_KEY_HEADER

__all__ = ["StartRefused", "StartRetry", "check_broker", "check_gate", "preflight"]

_log = logging.getLogger(__name__)
_MAX_BACKOFF_S = 30.0


class StartRefused(RuntimeError):
    """The agent cannot work as configured; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class StartRetry:
    """How often the start checks are tried, and the first pause between tries."""

    attempts: int = 5
    backoff_s: float = 2.0

    @classmethod
    def from_environment(cls) -> StartRetry:
        """From PORTGATE_AGENT_START_ATTEMPTS and PORTGATE_AGENT_START_BACKOFF_S.

        Raises:
            ConfigError: A value that is not a number in range.
        """
        try:
            attempts = int(os.environ.get("PORTGATE_AGENT_START_ATTEMPTS", "5"))
            backoff = float(os.environ.get("PORTGATE_AGENT_START_BACKOFF_S", "2"))
        except ValueError:
            raise ConfigError("PORTGATE_AGENT_START_ATTEMPTS / _BACKOFF_S: not a number") from None
        if not 1 <= attempts <= 100 or not 0 <= backoff <= 300:
            raise ConfigError(
                "PORTGATE_AGENT_START_ATTEMPTS must be 1..100, _BACKOFF_S 0..300 seconds"
            )
        return cls(attempts=attempts, backoff_s=backoff)


def check_gate(config: AgentConfig, gate_key: str) -> str | None:
    """What the API says against this gate and key (None: fine, or the API is away)."""
    url = f"{config.api.url.rstrip('/')}/api/v1/gates/{config.gate}/replica"
    try:
        # The head of the answer is enough: its status says whether gate and key are known.
        with httpx.stream(
            "GET", url, headers={GATE_KEY_HEADER: gate_key}, timeout=config.api.sync_timeout_s
        ) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        _log.warning(
            "start check: central API %s not reachable (%s): the replica will decide until it is",
            config.api.url,
            type(exc).__name__,
        )
        return None
    if status == httpx.codes.UNAUTHORIZED:
        return (
            f"the central API refused the gate key in {config.api.gate_key_env} for gate "
            f"{config.gate!r}: a wrong key, or a gate the API does not know "
            "(portgate gates list)"
        )
    if status in (httpx.codes.NOT_FOUND, httpx.codes.FORBIDDEN):
        return (
            f"the central API does not know gate {config.gate!r} under this key: the key "
            "is another gate's, or the config names the wrong gate (portgate gates list)"
        )
    return None


def check_broker(connection: MqttConnection, *, client_id: str, timeout_s: float) -> str | None:
    """Connect to the broker once and leave cleanly; None: it accepted the connection."""
    done = threading.Event()
    outcome: list[str | None] = []

    def on_connect(
        client: mqtt.Client, userdata: object, flags: object, reason: ReasonCode, props: object
    ) -> None:
        failed = reason.is_failure
        outcome.append(f"the MQTT broker refused the connection: {reason}" if failed else None)
        done.set()

    try:
        client = build_client(connection, client_id=client_id)
    except MqttConnectionError as exc:
        return f"mqtt: {exc}"
    client.on_connect = on_connect
    where = f"{connection.host}:{connection.port}"
    try:
        client.connect(connection.host, connection.port, connection.keepalive_s)
    except OSError as exc:
        return f"the MQTT broker at {where} is not reachable: {exc.strerror or exc}"
    try:
        client.loop_start()
        if not done.wait(timeout_s):
            return f"the MQTT broker at {where} did not answer within {timeout_s:g} s"
        return outcome[0] if outcome else None
    finally:
        client.disconnect()
        client.loop_stop()


def preflight(
    config: AgentConfig,
    *,
    gate_key: str,
    mqtt_password: str | None,
    retry: StartRetry,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Check gate, key and broker; try again `retry.attempts` times before giving up.

    Raises:
        StartRefused: Still failing after the last attempt (the message names the cause).
    """
    connection = config.mqtt.connection(password=mqtt_password)
    client_id = f"portgate-{config.site}-{config.gate}-{config.node_id}-check"
    pause = retry.backoff_s
    for attempt in range(1, retry.attempts + 1):
        problem = check_gate(config, gate_key)
        if problem is None:
            problem = check_broker(
                connection, client_id=client_id, timeout_s=max(5.0, config.api.sync_timeout_s)
            )
            if problem is not None and config.replica_path.exists():
                _log.warning("start check: %s; deciding from the replica on this box", problem)
                return
        if problem is None:
            return
        _log.error("start check %d/%d failed: %s", attempt, retry.attempts, problem)
        if attempt < retry.attempts:
            sleep(pause)
            pause = min(pause * 2, _MAX_BACKOFF_S)
    raise StartRefused(f"{problem} (gave up after {retry.attempts} attempts)")
