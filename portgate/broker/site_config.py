"""The site config: which site, which gates, and so which broker users exist.

A deliberately small YAML file (see configs/site-example.yaml)::

    site: rotterdam-t1
    gates:
      - id: gate-a
        name: Main gate A
    broker:
      api_user: api
      api_workers: 2
      admin_user: admin
      password_env_prefix: PORTGATE_MQTT_PASSWORD_
      tls:                    # the listener every node off this host uses
        cert_file: /etc/mosquitto/certs/server.crt
        key_file: /etc/mosquitto/certs/server.key
        ca_file: /etc/mosquitto/certs/ca.crt

Every gate has two broker users, ``agent-<gate>`` and ``bridge-<gate>``; the API and an
administrator have one each. With ``api_workers`` N > 1 (``portgate api --workers N``) the
API also has one user per worker connection, ``<api>-wINDEX`` and ``<api>-wINDEX-live``,
with the API's rights and a password derived from the API's
(`gate_protocol.broker_accounts`). Passwords never live in this file.
"""

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from gate_protocol.broker_accounts import api_connection_users, cli_user
from gate_protocol.ids import AccountName, Id, is_account_name

__all__ = [
    "BrokerSettings",
    "BrokerTls",
    "BrokerUser",
    "GateEntry",
    "Role",
    "SiteConfig",
    "SiteConfigError",
    "broker_users",
    "load_site_config",
]


class SiteConfigError(ValueError):
    """A site config that cannot be read or does not validate."""


class Role(StrEnum):
    """What a broker user is allowed to do (see mosquitto_acl)."""

    ADMIN = "admin"
    API = "api"
    HEALTHCHECK = "healthcheck"
    AGENT = "agent"
    BRIDGE = "bridge"


class GateEntry(BaseModel):
    """One gate of the site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # An id that also names its nodes' broker users (agent-<id>, bridge-<id>): no ':'.
    id: AccountName = Field(description="Gate id: letters, digits, '.', '_' or '-'.")
    name: Annotated[str, StringConstraints(max_length=200)] = ""


class BrokerTls(BaseModel):
    """The broker's TLS listener: its certificate, key and (for client certificates) CA."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    port: Annotated[int, Field(ge=1, le=65535)] = 8883
    bind_address: Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f.:]+$")] = "0.0.0.0"  # noqa: S104 (TLS)
    cert_file: Path = Path("/mosquitto/config/certs/server.crt")
    key_file: Path = Path("/mosquitto/config/certs/server.key")
    ca_file: Path | None = Field(
        Path("/mosquitto/config/certs/ca.crt"),
        description="CA of client certificates (with require_certificate) and of the chain.",
    )
    require_certificate: bool = Field(
        False, description="Also require a client certificate signed by ca_file."
    )


class BrokerSettings(BaseModel):
    """Names of the site-wide broker users and where their passwords come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_user: AccountName = "api"
    api_workers: Annotated[int, Field(ge=1, le=64)] = Field(
        1,
        description="Worker processes of `portgate api --workers N`: with N > 1 every "
        "worker connection gets its own broker user (derived from the API user).",
    )
    admin_user: AccountName = "admin"
    healthcheck_user: AccountName | None = Field(
        None, description="Optional user that may read only $SYS/broker/uptime (probes)."
    )
    password_env_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")] = (
        "PORTGATE_MQTT_PASSWORD_"  # noqa: S105 (an env var name, not a password)
    )
    tls: BrokerTls = Field(default_factory=BrokerTls)


class SiteConfig(BaseModel):
    """A site and its gates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: Id = Field(description="Site id (one topic level).")
    gates: list[GateEntry] = Field(min_length=1)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)

    @field_validator("gates")
    @classmethod
    def _unique(cls, gates: list[GateEntry]) -> list[GateEntry]:
        ids = [gate.id for gate in gates]
        if len(set(ids)) != len(ids):
            raise ValueError("gate ids must be unique")
        return gates


class BrokerUser(BaseModel):
    """A broker account derived from the site config."""

    model_config = ConfigDict(frozen=True)

    username: str
    role: Role
    gate: str | None = None
    password_env: str
    derived_from: str | None = None


def broker_users(site: SiteConfig) -> list[BrokerUser]:
    """Every broker user of the site: admin, API (and its worker connections), then gates.

    A derived user (``derived_from`` set) has no password of its own: it is computed from
    the password of ``derived_from`` (`gate_protocol.broker_accounts.connection_password`).
    """
    prefix = site.broker.password_env_prefix

    def env(username: str) -> str:
        return prefix + re.sub(r"[^A-Z0-9]", "_", username.upper())

    users = [
        BrokerUser(
            username=site.broker.admin_user,
            role=Role.ADMIN,
            password_env=env(site.broker.admin_user),
        ),
        BrokerUser(
            username=site.broker.api_user, role=Role.API, password_env=env(site.broker.api_user)
        ),
    ]
    api = site.broker.api_user
    # The CLI's user always; the workers' users when the API runs several processes.
    derived = [cli_user(api)]
    if site.broker.api_workers > 1:
        derived += api_connection_users(api, workers=site.broker.api_workers)
    users += [
        BrokerUser(username=name, role=Role.API, password_env=env(api), derived_from=api)
        for name in derived
    ]
    if site.broker.healthcheck_user is not None:
        name = site.broker.healthcheck_user
        users.append(BrokerUser(username=name, role=Role.HEALTHCHECK, password_env=env(name)))
    for gate in site.gates:
        for role in (Role.AGENT, Role.BRIDGE):
            name = f"{role.value}-{gate.id}"
            users.append(BrokerUser(username=name, role=role, gate=gate.id, password_env=env(name)))
    names = [user.username for user in users]
    if len(set(names)) != len(names):
        raise SiteConfigError("broker user names collide (site-wide user named like a gate node)")
    too_long = [name for name in names if not is_account_name(name)]
    if too_long:
        raise SiteConfigError(f"broker user names longer than 64 characters: {too_long}")
    return users


def load_site_config(path: Path) -> SiteConfig:
    """Read and validate a site YAML file.

    Raises:
        SiteConfigError: The file is missing, not YAML or does not validate.
    """
    try:
        return SiteConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise SiteConfigError(f"{path}: {exc}") from None
