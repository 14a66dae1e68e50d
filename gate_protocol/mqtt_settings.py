"""The broker settings of a service's config file, spelled and checked the same way everywhere.

The agent's and the bridge's YAML share these keys (the API reads the same settings from its
environment, `central_api.config`): the user, the environment variable that holds the
password, the TLS files and the keepalive. A section says how it names the broker
(`broker_url`) and may add keys of its own; `connection` turns it into the shared
`MqttConnection`, and a section that does not describe a connection is refused when the
config is read.
"""

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gate_protocol.mqtt_connection import LastWill, MqttConnection, MqttConnectionError

__all__ = ["MqttClientSettings"]


class MqttClientSettings(BaseModel):
    """The broker keys every service's config section has (subclass it, give `broker_url`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str | None = Field(default=None, description="Broker user name (one per node)")
    password_env: str | None = Field(
        default=None, description="Environment variable that holds the broker password"
    )
    ca_file: Path | None = Field(
        default=None,
        description="mqtts:// only: PEM file of the CA that signed the broker's certificate "
        "(unset: the system's trusted CAs)",
    )
    cert_file: Path | None = Field(
        default=None,
        description="mqtts:// only: PEM client certificate of this node (with key_file)",
    )
    key_file: Path | None = Field(
        default=None, description="mqtts:// only: PEM private key of cert_file (keep it 0600)"
    )
    keepalive_s: int = Field(
        default=15,
        ge=5,
        le=600,
        description="MQTT keepalive, seconds; the broker publishes the last will after 1.5x this",
    )

    def broker_url(self) -> str:
        """The broker's ``mqtt://`` or ``mqtts://`` URL, as this section names it."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _describes_a_connection(self) -> Self:
        try:
            self.connection(password=None)
        except MqttConnectionError as exc:
            raise ValueError(str(exc)) from None
        return self

    def connection(self, *, password: str | None, will: LastWill | None = None) -> MqttConnection:
        """The shared connection model of these settings, with the password read elsewhere.

        Raises:
            MqttConnectionError: The settings do not describe a connection.
        """
        return MqttConnection.from_url(
            self.broker_url(),
            username=self.username,
            password=password if self.username is not None else None,
            ca_file=self.ca_file,
            cert_file=self.cert_file,
            key_file=self.key_file,
            keepalive_s=self.keepalive_s,
            will=will,
        )
