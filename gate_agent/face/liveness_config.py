"""The gate's liveness check with the thresholds calibrated for its camera, if any.

``face.liveness_config`` in the agent config names the file ``portgate liveness calibrate``
wrote (docs/liveness.md); it is validated whole when the agent starts, and a file fitted
for another gate is refused, so a gate never runs on thresholds it was not measured with.
"""

from __future__ import annotations

from biometrics.liveness import LivenessSettings
from biometrics.pad import LivenessConfigError, load_liveness_config

from gate_agent.config import AgentConfig, ConfigError
from gate_agent.face.biometrics import BiometricLiveness

__all__ = ["gate_liveness", "gate_liveness_settings"]


def gate_liveness_settings(config: AgentConfig) -> LivenessSettings:
    """The liveness thresholds of this gate: its calibrated file's, else the defaults.

    Raises:
        ConfigError: the file is missing or invalid, or was calibrated for another gate.
    """
    path = config.face.liveness_config
    if path is None:
        return LivenessSettings()
    try:
        calibrated = load_liveness_config(path)
    except LivenessConfigError as exc:
        raise ConfigError(str(exc)) from None
    if calibrated.gate != config.gate:
        raise ConfigError(
            f"liveness config {path} was calibrated for gate {calibrated.gate!r}, "
            f"not {config.gate!r}"
        )
    return calibrated.settings


def gate_liveness(config: AgentConfig) -> BiometricLiveness | None:
    """The gate's liveness check (None: liveness is off in its config).

    Raises:
        ConfigError: as :func:`gate_liveness_settings`.
    """
    if not config.face.liveness:
        return None
    return BiometricLiveness(settings=gate_liveness_settings(config))
