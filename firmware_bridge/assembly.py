"""Build a runnable Bridge from its config: drivers by ``hardware.driver``, MQTT bus, secrets."""

import os
from collections.abc import Mapping

from gate_protocol.messages import NodeState, NodeStatus, encode_message
from gate_protocol.mqtt_connection import LastWill, MqttConnectionError
from gate_protocol.secret_strength import WeakSecretError, check_secret_text, dev_mode_from_env
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic

from firmware_bridge.bus import MqttBus
from firmware_bridge.config import (
    BridgeConfig,
    ConfigError,
    GpioConfig,
    OsdpConfig,
    SerialConfig,
    SimulatedConfig,
)
from firmware_bridge.drivers.base import ReaderDriver, TurnstileDriver
from firmware_bridge.service import VERSION, Bridge, utcnow

__all__ = ["build_bridge", "build_bus", "build_drivers"]


def build_drivers(
    config: BridgeConfig, *, environ: Mapping[str, str] | None = None
) -> tuple[TurnstileDriver, ReaderDriver]:
    """The turnstile and reader drivers the config asks for.

    Raises:
        ConfigError: e.g. OSDP keys missing or refused by policy.
    """
    hardware = config.hardware
    if isinstance(hardware, SimulatedConfig):
        from firmware_bridge.drivers.simulated import SimulatedTurnstile

        sim = SimulatedTurnstile(
            lanes=[lane.lane for lane in config.lanes], reader_id=hardware.reader_id
        )
        return sim, sim
    if isinstance(hardware, GpioConfig):
        from firmware_bridge.drivers.gpio import GpioTurnstile, NullReader

        return GpioTurnstile(config=hardware), NullReader()
    if isinstance(hardware, SerialConfig):
        from firmware_bridge.drivers.serial_line import SerialController

        controller = SerialController(config=hardware)
        return controller, controller
    return _build_osdp(hardware, environ=environ)


def _build_osdp(
    hardware: OsdpConfig, *, environ: Mapping[str, str] | None
) -> tuple[TurnstileDriver, ReaderDriver]:
    from firmware_bridge.drivers.osdp_keys import OsdpKeyError, load_reader_keys
    from firmware_bridge.drivers.osdp_reader import OsdpPanel

    try:
        keys = load_reader_keys(hardware, environ=environ)
    except OsdpKeyError as exc:
        raise ConfigError(str(exc)) from None
    panel = OsdpPanel(config=hardware, keys=keys)
    return panel, panel


def build_bus(config: BridgeConfig, *, environ: Mapping[str, str] | None = None) -> MqttBus:
    """The MQTT bus of a bridge, with its retained offline status as last will.

    Raises:
        ConfigError: A user name is configured but its password variable is not set, the
            password is weak (not in dev mode: named, with the reason), or a TLS file
            cannot be used.
    """
    env = os.environ if environ is None else environ
    password = env.get(config.mqtt.password_env)
    if config.mqtt.username is not None and not password:
        raise ConfigError(f"MQTT password missing: set {config.mqtt.password_env}")
    if password and not dev_mode_from_env(env):
        try:
            check_secret_text(f"{config.mqtt.password_env} (MQTT password)", password)
        except WeakSecretError as exc:
            raise ConfigError(str(exc)) from None
    # The last will is the bridge's retained offline status, as Bridge.stop() publishes it.
    will_topic = GateTopic(
        site=config.site, gate=config.gate, channel=GateChannel.STATUS, node=NodeKind.BRIDGE
    )
    will = NodeStatus(
        node=NodeKind.BRIDGE, state=NodeState.OFFLINE, version=VERSION, since=utcnow()
    )
    try:
        return MqttBus(
            connection=config.mqtt.connection(
                password=password,
                will=LastWill(topic=build_topic(will_topic), payload=encode_message(will)),
            ),
            client_id=config.mqtt.username or f"bridge-{config.site}-{config.gate}",
        )
    except MqttConnectionError as exc:
        raise ConfigError(f"mqtt: {exc}") from None


def build_bridge(config: BridgeConfig, *, environ: Mapping[str, str] | None = None) -> Bridge:
    """A Bridge on the real MQTT bus with the configured drivers.

    Raises:
        ConfigError: A secret is missing or the hardware config is refused.
    """
    bus = build_bus(config, environ=environ)
    turnstile, reader = build_drivers(config, environ=environ)
    return Bridge(config=config, turnstile=turnstile, reader=reader, bus=bus)
