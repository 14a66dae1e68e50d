"""One demo gate: a simulated turnstile behind a firmware bridge, and its gate agent."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from firmware_bridge.assembly import build_bus
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_agent.app import AgentApp
from gate_agent.config import AgentConfig
from gate_agent.face.step import FaceVerifier, LivenessChecker
from gate_agent.face.tracker import FaceObserver
from portgate.demo.broker import DemoBroker
from portgate.demo.frames import ScriptedCamera

__all__ = ["FACILITY_CODE", "DemoGate"]

_log = logging.getLogger(__name__)
FACILITY_CODE = 42
_PASSWORD_ENV = "PORTGATE_DEMO_MQTT_PASSWORD"  # noqa: S105 (an env var name)


def _face_section(*, liveness: bool, liveness_config: Path | None) -> dict[str, object]:
    """The agent config's face step for a demo gate."""
    return {
        "burst_frames": 3,
        # The face window may wait 6 s for its frames: the demo runs every part on one
        # machine, where a frame's search takes longer than at a real gate (a mismatch,
        # judged by the window, took 3.1 s at a load of 13 on 2 cores).
        "burst_timeout_ms": 6000,
        # The track looks at every frame of the 8 fps camera, so its liveness judges
        # consecutive frames, as the window does.
        "track_interval_ms": 125,
        "liveness": liveness,
        "liveness_config": liveness_config,
    }


def _confirm_section(confirm_s: float | None) -> dict[str, float]:
    """The agent config's confirm timings for a demo gate (none: the defaults)."""
    if confirm_s is None:
        return {}
    return {"confirm_interval_s": confirm_s, "confirm_grace_s": confirm_s}


def _liveness(config: AgentConfig) -> LivenessChecker | None:
    """The gate's liveness check, as `portgate agent` builds it (dlib loads only here)."""
    from gate_agent.face.liveness_config import gate_liveness  # noqa: PLC0415

    return gate_liveness(config)


class DemoGate:
    """Bridge + simulated turnstile + agent for one gate, all in this process.

    Args:
        site: Site id.
        gate: Gate id.
        broker: The demo broker (its users and port).
        api_url: Where the agent reaches the API.
        gate_key: The gate's API key.
        command_keys: The public keys its bridge checks OpenCommands with, by key id.
        workdir: The gate's state folder (outbox, replica, executed-command log).
        camera: The gate camera, if the gate has one.
        verifier: The face verifier (None: no face step).
        observer: Finds and encodes the faces in view ahead of a tap, for the agent's face
            track (None: no tracker; the face step waits for frames after the tap).
        liveness: Run the agent's liveness check with the gate's thresholds (the defaults,
            or `liveness_config`'s; needs a verifier).
        liveness_config: A calibrated liveness config for this gate (`portgate liveness
            calibrate`); None: the default thresholds.
        confirm_s: How soon after its PUBACK, and how often, the agent asks the API which
            events it lacks and sends them over HTTP (None: the agent's defaults, 3 s and
            5 s). The second terminal's broker has no API listening, so its events and
            alarms reach the dashboard only this way: 1 s shows them without the wait.
    """

    def __init__(
        self,
        *,
        site: str,
        gate: str,
        broker: DemoBroker,
        api_url: str,
        gate_key: str,
        command_keys: dict[str, str],
        workdir: Path,
        camera: ScriptedCamera | None = None,
        verifier: FaceVerifier | None = None,
        observer: FaceObserver | None = None,
        liveness: bool = False,
        liveness_config: Path | None = None,
        confirm_s: float | None = None,
    ) -> None:
        self.gate = gate
        self.camera = camera
        # How many lights the lane had shown at the last presentation (None: none since).
        self._lights_seen: int | None = None
        bridge_user, agent_user = f"bridge-{gate}", f"agent-{gate}"
        bridge_config = BridgeConfig.model_validate(
            {
                "site": site,
                "gate": gate,
                "mqtt": {
                    "port": broker.port,
                    "username": bridge_user,
                    "password_env": _PASSWORD_ENV,
                },
                "lanes": [{"lane": 0, "direction": "entry"}],
                "state_dir": workdir / "bridge",
                "held_open_s": 8,
                "command_keys": command_keys,  # the agent signs with the key in its replica
            }
        )
        self.turnstile = SimulatedTurnstile(lanes=[0], reader_id=f"{gate}-reader")
        bus = build_bus(bridge_config, environ={_PASSWORD_ENV: broker.passwords[bridge_user]})
        self.bridge = Bridge(
            config=bridge_config, turnstile=self.turnstile, reader=self.turnstile, bus=bus
        )
        agent_config = AgentConfig.model_validate(
            {
                "site": site,
                "gate": gate,
                "mqtt": {
                    "url": f"mqtt://127.0.0.1:{broker.port}",
                    "username": agent_user,
                    "reconnect_min_s": 0.5,
                    "reconnect_max_s": 3,
                },
                "api": {
                    "url": api_url,
                    "decision_timeout_ms": 400,
                    "sync_interval_s": 10,
                    "event_replay_after_s": 3,
                    **_confirm_section(confirm_s),
                },
                "face": _face_section(liveness=liveness, liveness_config=liveness_config),
                "turnstile": {"pulse_ms": 3000, "command_ttl_s": 5, "passage_timeout_s": 6},
                "outbox": {"path": str(workdir / "outbox.sqlite3")},
                "replica_path": str(workdir / "replica.json"),
                "code_dedup_s": 6,
            }
        )
        self.agent = AgentApp(
            agent_config,
            gate_key=gate_key,
            mqtt_password=broker.passwords[agent_user],
            verifier=verifier,
            liveness=_liveness(agent_config) if liveness and verifier is not None else None,
            observer=observer,
            frame_source=camera,
        )

    def start(self) -> None:
        """Start the bridge, then the agent."""
        self.bridge.start()
        self.agent.start()

    def ready(self) -> bool:
        """Whether the agent is connected and holds a replica (it can decide offline)."""
        return self.agent.agent.connected and self.agent.agent.replica.index is not None

    def present_badge(self, badge: int) -> None:
        """Hold a badge to the lane's reader."""
        self.mark_presentation()
        self.turnstile.present_card(lane=0, facility_code=FACILITY_CODE, card_number=badge)

    def mark_presentation(self) -> None:
        """Note the lane's lights now: a red one after this is the answer to what comes next."""
        self._lights_seen = len(self.turnstile.indications(0))

    def pass_through_if_opened(self, *, wait_s: float = 3.5) -> bool:
        """If the lane unlocks within `wait_s`, walk through; return whether it opened.

        A red light since the last presentation ends the wait at once: the gate has
        refused, and the lane would not open in the rest of `wait_s` (the demo waited it
        out on every refusal before).
        """
        deadline = time.monotonic() + wait_s
        seen, self._lights_seen = self._lights_seen, None
        while time.monotonic() < deadline:
            if self.turnstile.is_unlocked(0):
                self.turnstile.walk_through(lane=0)
                return True
            if seen is not None and False in self.turnstile.indications(0)[seen:]:
                return False
            time.sleep(0.05)
        return False

    def force_door(self) -> None:
        """Open the locked door by force, then let it close (the bridge raises `forced`)."""
        self.turnstile.open_door(lane=0)
        time.sleep(0.5)
        self.turnstile.close_door(lane=0)

    def stop(self) -> None:
        """Stop the agent, then the bridge (each says offline)."""
        try:
            self.agent.stop()
        finally:
            self.bridge.stop()
