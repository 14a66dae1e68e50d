"""The bridge's YAML configuration: a tree of pydantic models, unknown keys refused.

The hardware is chosen by ``hardware.driver`` (``simulated``, ``gpio``, ``serial`` or
``osdp``), a tagged union so that each driver only accepts its own settings. Secrets (the
MQTT password, OSDP secure channel keys) are never in this file: it names the environment
variables or key file that hold them.
"""

from pathlib import Path
from typing import Annotated, Literal

import yaml
from gate_protocol.ids import Id
from gate_protocol.messages import Direction
from gate_protocol.mqtt_settings import MqttClientSettings
from gate_protocol.passes.keys import KEY_ID_PATTERN, PassKeyring
from gate_protocol.topics import TopicError, validate_id
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from firmware_bridge.lane_machine import FailMode

__all__ = [
    "BridgeConfig",
    "ConfigError",
    "GpioConfig",
    "GpioLanePins",
    "HardwareConfig",
    "LaneConfig",
    "MetricsConfig",
    "MqttConfig",
    "OsdpConfig",
    "OsdpReaderConfig",
    "SerialConfig",
    "SimulatedConfig",
    "load_bridge_config",
]

_Port = Annotated[int, Field(ge=1, le=65535)]
_Lane = Annotated[int, Field(ge=0, le=63)]
_Pin = Annotated[int, Field(ge=0, le=63)]
_KeyId = Annotated[str, Field(pattern=KEY_ID_PATTERN)]


class ConfigError(ValueError):
    """A bridge config file that cannot be read or does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MqttConfig(MqttClientSettings):
    """How the bridge reaches the broker (`gate_protocol.mqtt_settings` has the shared keys)."""

    url: str | None = Field(
        None,
        description="Broker URL, mqtt://host:port or mqtts://host:port (TLS); instead of "
        "host and port.",
    )
    host: str = Field("127.0.0.1", description="Broker host name or address (plain MQTT).")
    port: _Port = Field(1883, description="Broker TCP port (plain MQTT).")
    username: str | None = Field(None, description="Broker user; also the client id.")
    password_env: str = Field(
        "PORTGATE_MQTT_PASSWORD", description="Environment variable holding the password."
    )

    @model_validator(mode="after")
    def _url_or_host_and_port(self) -> "MqttConfig":
        if self.url is not None and self.model_fields_set & {"host", "port"}:
            raise ValueError("give the broker as url or as host and port, not both")
        return self

    def broker_url(self) -> str:
        """The URL, or a plain ``mqtt://`` one made of host and port."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.url or f"mqtt://{host}:{self.port}"


class LaneConfig(_Strict):
    """One lane of the gate."""

    lane: _Lane = Field(description="Lane number, as in OpenCommand.lane.")
    direction: Direction = Field(description="Which way the lane is passed.")
    fail_mode: FailMode | None = Field(
        None,
        description="secure (stays locked) or safe (releases); default: entry secure, exit safe.",
    )

    @property
    def effective_fail_mode(self) -> FailMode:
        """The configured fail mode, or the default for the lane's direction."""
        if self.fail_mode is not None:
            return self.fail_mode
        return FailMode.SECURE if self.direction is Direction.ENTRY else FailMode.SAFE


class SimulatedConfig(_Strict):
    """An in-process turnstile and reader (tests and the demo)."""

    driver: Literal["simulated"] = "simulated"
    reader_id: str = Field("sim-reader", description="Reader id reported with card reads.")


class GpioLanePins(_Strict):
    """The BCM pins of one lane."""

    lane: _Lane
    relay_pin: _Pin = Field(description="Output that releases the lock while active.")
    door_pin: _Pin | None = Field(None, description="Door contact input (active = open).")
    passage_pin: _Pin | None = Field(None, description="Passage sensor input (active = person).")


class GpioConfig(_Strict):
    """Relay outputs and contact inputs on the host's GPIO header (gpiozero)."""

    driver: Literal["gpio"] = "gpio"
    lanes: list[GpioLanePins] = Field(min_length=1)
    tamper_pin: _Pin | None = Field(None, description="Enclosure tamper switch input.")
    relay_active_high: bool = True
    inputs_pull_up: bool = Field(True, description="Inputs are switches to ground.")
    bounce_s: Annotated[float, Field(ge=0, le=1)] = 0.02


class SerialConfig(_Strict):
    """A microcontroller speaking the line protocol of docs/serial-protocol.md."""

    driver: Literal["serial"] = "serial"
    port: str = Field(description="Serial device, e.g. /dev/ttyUSB0.")
    baudrate: int = 115200
    reader_id: str = Field("mcu", description="Reader id reported with card reads.")
    heartbeat_timeout_s: Annotated[float, Field(gt=0, le=60)] = Field(
        5.0, description="The controller is reported offline after this long without a line."
    )


class OsdpReaderConfig(_Strict):
    """One OSDP reader (peripheral device) on the bus."""

    address: Annotated[int, Field(ge=0, le=126)]
    reader_id: str = Field(description="Name used in CredentialPresented and for its key.")
    lane: _Lane
    relay_output: int | None = Field(0, description="PD output that drives the lane's lock.")
    door_input: int | None = Field(None, description="PD input wired to the door contact.")
    passage_input: int | None = Field(None, description="PD input wired to the passage sensor.")


class OsdpConfig(_Strict):
    """OSDP readers through libosdp's ControlPanel, secure channel by default."""

    driver: Literal["osdp"] = "osdp"
    port: str = Field(description="RS-485 serial device.")
    baudrate: int = 9600
    readers: list[OsdpReaderConfig] = Field(min_length=1)
    key_file: Path | None = Field(None, description="Lines `reader_id=32 hex digits` (0600).")
    key_env_prefix: str = Field(
        "PORTGATE_OSDP_SCBK_", description="Env var prefix; suffix: reader id, upper case."
    )
    allow_plaintext: bool = Field(False, description="Allow readers without secure channel.")
    allow_install_key: bool = Field(False, description="Allow the default install key SCBK-D.")
    reply_timeout_s: Annotated[float, Field(ge=0.1, le=5)] = Field(
        0.3,
        description="A reader is offline when two frames in a row go unanswered, the second "
        "for this long (libosdp resends an unanswered frame after 1 s).",
    )


HardwareConfig = Annotated[
    SimulatedConfig | GpioConfig | SerialConfig | OsdpConfig, Field(discriminator="driver")
]


class MetricsConfig(_Strict):
    """The bridge's Prometheus endpoint (docs/production.md, monitoring); off by default."""

    host: str = Field("127.0.0.1", description="Address /metrics listens on.")
    port: Annotated[int, Field(ge=0, le=65535)] | None = Field(
        None, description="Port of /metrics; none: not served."
    )


class BridgeConfig(_Strict):
    """A firmware bridge: one gate's turnstiles and readers on MQTT."""

    site: Id = Field(description="Site id (one topic level).")
    gate: Id = Field(description="Gate id (one topic level).")
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    lanes: list[LaneConfig] = Field(min_length=1)
    hardware: HardwareConfig = Field(default_factory=SimulatedConfig)
    state_dir: Path = Field(Path("bridge-state"), description="Executed-command log, crash marker.")
    held_open_s: Annotated[float, Field(gt=0, le=3600)] = 20.0
    expiry_skew_s: Annotated[float, Field(ge=0, le=30)] = Field(
        2.0, description="Clock skew tolerated on OpenCommand.expires_at."
    )
    max_command_lifetime_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        300.0, description="Commands expiring further ahead are refused (fault)."
    )
    command_retention_s: Annotated[float, Field(gt=0)] = Field(
        86_400.0, description="How long executed command ids are remembered."
    )
    command_log_max: Annotated[int, Field(ge=100)] = 50_000
    require_signed_commands: bool = Field(
        True,
        description="Refuse OpenCommands that are not signed with a key in command_keys; "
        "false only while an existing site migrates (unsigned commands then still open).",
    )
    command_keys: dict[_KeyId, str] = Field(
        default_factory=dict,
        description="The gate's public command keys (raw base64 or PEM) by key id, as printed "
        "by `portgate gates command-keys`; old and new during a rotation.",
    )
    command_keys_file: Path | None = Field(
        None,
        description="The file the gate's agent writes with the gate's current public command "
        "keys (its bridge_command_keys_path, on this host); re-read when it changes, so "
        "rotation and retirement need no restart. Added to command_keys.",
    )
    signed_command_max_age_s: Annotated[float, Field(gt=0, le=60)] = Field(
        10.0, description="A signed command issued longer ago than this is refused."
    )
    watchdog_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    agent_answer_timeout_s: Annotated[float, Field(ge=1, le=300)] = Field(
        10.0,
        description="A card read the agent has not answered (open or denial) after this long "
        "is kept as unanswered (docs/bridge.md, agent away).",
    )
    heartbeat_path: Path | None = Field(
        None,
        description="File touched by the worker loop about once a second "
        "(container healthcheck: portgate health --heartbeat FILE).",
    )
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)

    @field_validator("site", "gate")
    @classmethod
    def _one_topic_level(cls, value: str) -> str:
        try:
            return validate_id(value)
        except TopicError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _consistent(self) -> "BridgeConfig":
        numbers = [lane.lane for lane in self.lanes]
        if len(set(numbers)) != len(numbers):
            raise ValueError("lane numbers must be unique")
        if self.command_retention_s <= self.max_command_lifetime_s + self.expiry_skew_s:
            # Otherwise a replayed command could outlive the memory of its execution.
            raise ValueError("command_retention_s must exceed max_command_lifetime_s + skew")
        if self.require_signed_commands and not (self.command_keys or self.command_keys_file):
            raise ValueError(
                "require_signed_commands needs the gate's public keys: command_keys_file "
                "(written by the gate's agent) or command_keys (`portgate gates command-keys "
                "GATE`), or require_signed_commands: false while the site migrates"
            )
        self.command_keyring()  # a key that does not load is refused when the file is read
        return self

    def command_keyring(self) -> PassKeyring:
        """The public keys that signed commands are checked against, by key id."""
        return PassKeyring.from_entries(self.command_keys)


def load_bridge_config(path: Path) -> BridgeConfig:
    """Read and validate a bridge YAML file.

    Raises:
        ConfigError: The file is missing, not YAML or does not validate.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return BridgeConfig.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from None
