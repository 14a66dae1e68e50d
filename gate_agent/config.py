"""The gate agent's configuration: one YAML file, validated by pydantic (``extra="forbid"``).

Secrets never live in the file: the MQTT password and the gate's API key are read from the
environment variables the file names (``password_env``, ``gate_key_env``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from gate_protocol.ids import Id
from gate_protocol.messages import Direction
from gate_protocol.mqtt_settings import MqttClientSettings
from gate_protocol.secret_strength import WeakSecretError, check_secret_text, dev_mode_from_env
from gate_protocol.topics import TopicError, validate_id
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gate_agent.display.settings import DisplayConfig
from gate_agent.face_config import FaceConfig

__all__ = [
    "AgentConfig",
    "ApiConfig",
    "CameraConfig",
    "ConfigError",
    "FaceConfig",
    "FileCameraConfig",
    "FolderCameraConfig",
    "LaneConfig",
    "MetricsConfig",
    "MqttConfig",
    "OpenCVCameraConfig",
    "OutboxConfig",
    "TurnstileConfig",
    "load_config",
    "read_secret",
    "read_strong_secret",
]


class ConfigError(ValueError):
    """The agent config file is missing, not YAML, invalid, or a secret is not set."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LaneConfig(_Section):
    """One lane of the gate: its number and the way it is passed."""

    lane: int = Field(ge=0, le=63, description="Lane number, as the bridge knows it")
    direction: Direction = Field(description="Which way the lane is passed: entry or exit")


class MqttConfig(MqttClientSettings):
    """How the agent reaches the site broker (`gate_protocol.mqtt_settings` has the shared keys)."""

    url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="Broker URL, mqtt://host:port (mqtts:// for TLS)",
        pattern=r"^mqtts?://[^/:]+(:\d{1,5})?/?$",
    )
    reconnect_min_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="First reconnect delay, seconds, doubling each try (paho rounds up to whole s)",
    )
    reconnect_max_s: float = Field(
        default=30.0, gt=0, le=600, description="Longest reconnect delay, seconds"
    )

    def broker_url(self) -> str:
        """The broker URL of this section."""
        return self.url

    @property
    def host(self) -> str:
        """The broker host name."""
        return self.connection(password=None).host

    @property
    def port(self) -> int:
        """The broker port (1883, or 8883 for mqtts)."""
        return self.connection(password=None).port

    @property
    def tls(self) -> bool:
        """Whether the URL asks for TLS."""
        return self.connection(password=None).tls


class ApiConfig(_Section):
    """How the agent reaches the central API."""

    url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of the central API",
        pattern=r"^https?://",
    )
    gate_key_env: str = Field(
        default="PORTGATE_GATE_KEY",
        description="Environment variable that holds this gate's API key (X-Gate-Key)",
    )
    decision_timeout_ms: int = Field(
        default=300,
        ge=20,
        le=10_000,
        description="Hard timeout of POST /api/v1/decisions; after it the replica decides",
    )
    max_clock_skew_s: float = Field(
        30.0, ge=1, le=3600, description="Tolerated host clock offset from the API's, seconds"
    )
    retry_after_s: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="After a failed decision request the replica decides alone this long "
        "before the API is asked again (0: ask every time)",
    )
    sync_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="Timeout of a replica download"
    )
    sync_interval_s: float = Field(
        default=60.0, gt=0, description="Replica refresh period, besides SyncNotice"
    )
    event_replay_after_s: float = Field(
        default=5.0,
        ge=0,
        description="Replay unsent events over HTTP once MQTT has been down this long",
    )
    event_batch_size: int = Field(default=200, ge=1, le=500, description="Events per HTTP batch")
    confirm_interval_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="How often the agent asks POST /api/v1/events/known about published "
        "events the API has not yet confirmed (one batch of up to 500 a round)",
    )
    confirm_grace_s: float = Field(
        default=3.0,
        ge=0,
        le=3600,
        description="Ask about a published event only this long after its PUBACK (the API "
        "usually has it by then)",
    )


class FileCameraConfig(_Section):
    """Replay one image file in a loop (demo and tests)."""

    type: Literal["file"] = "file"
    path: Path = Field(description="Image file to replay")
    fps: float = Field(default=10.0, gt=0, le=120, description="Frames per second to emit")


class FolderCameraConfig(_Section):
    """Replay the images of a folder, sorted by name, in a loop (demo and tests)."""

    type: Literal["folder"] = "folder"
    path: Path = Field(description="Folder of .png/.jpg images")
    fps: float = Field(default=10.0, gt=0, le=120, description="Frames per second to emit")


class OpenCVCameraConfig(_Section):
    """A live camera through OpenCV: a device index or a stream URL (rtsp://, http://)."""

    type: Literal["opencv"] = "opencv"
    device: int | str = Field(default=0, description="VideoCapture device index or URL")
    width: int | None = Field(default=None, ge=16, description="Requested frame width")
    height: int | None = Field(default=None, ge=16, description="Requested frame height")


CameraConfig = Annotated[
    FileCameraConfig | FolderCameraConfig | OpenCVCameraConfig, Field(discriminator="type")
]


class TurnstileConfig(_Section):
    """The OpenCommand the agent sends on a grant, and how long it waits for the bridge."""

    pulse_ms: int = Field(default=3000, ge=100, le=30_000, description="Relay pulse")
    command_ttl_s: float = Field(
        default=5.0, gt=0, le=60, description="OpenCommand expires_at = issued_at + this"
    )
    ack_timeout_s: float = Field(default=3.0, gt=0, le=60, description="Wait for CommandAck")
    passage_timeout_s: float = Field(
        default=15.0, gt=0, le=300, description="Wait for Passage after the ack"
    )


class OutboxConfig(_Section):
    """The durable event outbox."""

    path: Path = Field(default=Path("var/agent-outbox.sqlite3"), description="SQLite file")
    max_unsent: int = Field(
        default=100_000,
        ge=10,
        description="Unsent events at which the gate stops granting and raises outbox_full",
    )
    publish_window: int = Field(
        default=100, ge=1, le=10_000, description="Events handed to MQTT awaiting PUBACK at once"
    )
    max_alarms: int = Field(
        default=10_000,
        ge=10,
        description="Alarms kept on disk until the API confirms them; beyond it an "
        "alarm is refused, counted and logged",
    )


class MetricsConfig(_Section):
    """The agent's Prometheus endpoint (docs/production.md, monitoring); off by default."""

    host: str = Field(default="127.0.0.1", description="Address /metrics listens on")
    port: int | None = Field(
        default=None, ge=0, le=65535, description="Port of /metrics; none: not served"
    )


class AgentConfig(_Section):
    """The whole agent config file."""

    site: Id = Field(description="Site id (one topic level)")
    gate: Id = Field(description="Gate id (one topic level)")
    node_id: Id = Field(default="agent", description="MQTT client id suffix")
    lanes: tuple[LaneConfig, ...] = Field(
        default=(LaneConfig(lane=0, direction=Direction.ENTRY),),
        min_length=1,
        max_length=64,
        description="The gate's lanes; QR codes seen by the camera go to the first lane",
    )
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="Broker connection")
    api: ApiConfig = Field(default_factory=ApiConfig, description="Central API connection")
    camera: CameraConfig | None = Field(
        default=None, description="Frame source; none: badge reads only, no face step"
    )
    face: FaceConfig = Field(default_factory=FaceConfig, description="Face step settings")
    turnstile: TurnstileConfig = Field(
        default_factory=TurnstileConfig, description="Open command settings"
    )
    outbox: OutboxConfig = Field(default_factory=OutboxConfig, description="Event outbox")
    replica_path: Path = Field(
        default=Path("var/agent-replica.json"), description="Where the replica is kept on disk"
    )
    bridge_command_keys_path: Path | None = Field(
        default=None,
        description="File the agent writes, at every replica sync, with the gate's public "
        "command keys (current and not yet retired) for its bridge's command_keys_file; on "
        "this host, writable by the agent only",
    )
    replica_key_env: str | None = Field(
        default=None,
        description="Environment variable with the base64 AES-256 key that seals the replica "
        "file (face templates then exist in clear only in memory); unset: stored in clear",
    )
    heartbeat_path: Path | None = Field(
        default=None,
        description="File the agent loop touches every few seconds "
        "(container healthcheck: portgate health --heartbeat FILE)",
    )
    metrics: MetricsConfig = Field(
        default_factory=MetricsConfig, description="Prometheus metrics endpoint"
    )
    display: DisplayConfig = Field(default_factory=DisplayConfig, description="Lane displays")
    code_dedup_s: float = Field(
        default=4.0, ge=0, description="The same QR code seen again within this time is ignored"
    )

    @field_validator("site", "gate", "node_id")
    @classmethod
    def _one_topic_level(cls, value: str) -> str:
        try:
            return validate_id(value)
        except TopicError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("lanes")
    @classmethod
    def _distinct_lanes(cls, value: tuple[LaneConfig, ...]) -> tuple[LaneConfig, ...]:
        if len({lane.lane for lane in value}) != len(value):
            raise ValueError("lane numbers must be distinct")
        return value

    def lane(self, number: int) -> LaneConfig | None:
        """The configured lane with this number."""
        return next((lane for lane in self.lanes if lane.lane == number), None)


def load_config(path: Path) -> AgentConfig:
    """Read and validate an agent YAML file (relative paths stay relative to the working dir).

    Raises:
        ConfigError: the file is missing, not YAML or not a valid agent config.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    try:
        return AgentConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def read_strong_secret(env_name: str, *, what: str) -> str:
    """Read a secret that must be random (the gate key, the broker password) and check it.

    Raises:
        ConfigError: the variable is not set, or (not in dev mode) the value is weak: the
            message names the variable and says why (`gate_protocol.secret_strength`).
    """
    value = read_secret(env_name, what=what) or ""
    if not dev_mode_from_env():
        try:
            check_secret_text(f"{env_name} ({what})", value)
        except WeakSecretError as exc:
            raise ConfigError(str(exc)) from None
    return value


def read_secret(env_name: str | None, *, what: str) -> str | None:
    """Read a secret from the environment variable `env_name` (None: no secret configured).

    Raises:
        ConfigError: the variable is named but not set or empty.
    """
    if env_name is None:
        return None
    value = os.environ.get(env_name)
    if not value:
        raise ConfigError(f"{what}: environment variable {env_name} is not set")
    return value
