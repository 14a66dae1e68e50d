"""Settings of the central API, read from the environment (secrets only from there).

The settings refuse to start with a missing secret key or a malformed template or pass
signing key, and with a weak one of these or of the metrics token (named, with the reason:
`gate_protocol.secret_strength`), unless ``PORTGATE_DEV_MODE=1`` (tests and `portgate
demo`), which fills in throwaway random secrets that never leave the process and skips
the strength checks.
"""

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import unquote, urlsplit

from gate_protocol.broker_accounts import connection_user, derived_url
from gate_protocol.mqtt_connection import MqttConnection, MqttConnectionError
from gate_protocol.passes.keys import load_private_key
from gate_protocol.secret_strength import WeakSecretError, check_key_bytes, check_secret_text
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DEFAULT_DATABASE_URL",
    "MIN_SECRET_LENGTH",
    "MqttTlsSettings",
    "Settings",
    "SettingsError",
    "database_url",
]

DEFAULT_DATABASE_URL = "sqlite:///./portgate.db"

MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """The environment does not configure a safe central API."""


def database_url() -> str:
    """DATABASE_URL from the environment (for CLI commands that need no secrets)."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


class MqttTlsSettings(BaseSettings):
    """The TLS files of the broker connections that ``MQTT_URL`` names (API and CLI alike)."""

    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True)

    mqtt_ca_file: Path | None = Field(
        default=None,
        validation_alias="PORTGATE_MQTT_CA_FILE",
        description="mqtts:// only: PEM file of the CA that signed the broker's certificate "
        "(unset: the system's trusted CAs).",
    )
    mqtt_cert_file: Path | None = Field(
        default=None,
        validation_alias="PORTGATE_MQTT_CERT_FILE",
        description="mqtts:// only: PEM client certificate (with PORTGATE_MQTT_KEY_FILE).",
    )
    mqtt_key_file: Path | None = Field(
        default=None,
        validation_alias="PORTGATE_MQTT_KEY_FILE",
        description="mqtts:// only: PEM private key of the client certificate (keep it 0600).",
    )

    def mqtt_connection(self, url: str) -> MqttConnection:
        """The connection to `url` (an MQTT_URL) with these TLS files.

        Raises:
            MqttConnectionError: The URL and files do not describe a connection.
        """
        return MqttConnection.from_url(
            url,
            ca_file=self.mqtt_ca_file,
            cert_file=self.mqtt_cert_file,
            key_file=self.mqtt_key_file,
        )


class Settings(MqttTlsSettings):
    """Central API configuration; each field is an environment variable (names below)."""

    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://...",
    )
    mqtt_url: str | None = Field(
        default=None,
        validation_alias="MQTT_URL",
        description="mqtt://user:password@host:1883 (mqtts:// for TLS, see "
        "PORTGATE_MQTT_CA_FILE); unset: no broker, nothing is published.",
    )
    mqtt_client_id: str = Field(
        default="portgate-api",
        validation_alias="PORTGATE_MQTT_CLIENT_ID",
        description="Persistent-session client id of the API's ingest subscription.",
    )
    worker_index: Annotated[int, Field(ge=0, le=255)] | None = Field(
        default=None,
        validation_alias="PORTGATE_WORKER_INDEX",
        description="Set by `portgate api --workers N` in each worker: its MQTT client id "
        "gets the suffix -wINDEX (a stable persistent session per worker slot).",
    )
    mqtt_worker_users: bool = Field(
        default=True,
        validation_alias="PORTGATE_MQTT_WORKER_USERS",
        description="With a worker index and a user in MQTT_URL, each worker connection "
        "logs in as its own broker user USER-wINDEX / USER-wINDEX-live with a password "
        "derived from MQTT_URL's (what `portgate broker users` writes for the site "
        "config's api_workers); off: every connection uses MQTT_URL's user.",
    )
    ingest_share_group: str | None = Field(
        default=None,
        validation_alias="PORTGATE_INGEST_SHARE_GROUP",
        pattern=r"^[A-Za-z0-9_-]{1,32}$",
        description="Ingest through the MQTT shared subscription $share/GROUP/... so that "
        "each event is stored by one worker (set by `portgate api --workers N`).",
    )
    mqtt_site: str | None = Field(
        default=None,
        validation_alias="PORTGATE_SITE",
        description="Ingest only this site's topics; unset: every site.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        validation_alias="PORTGATE_SECRET_KEY",
        description="Signs session JWTs; at least 32 characters of randomness.",
    )
    template_key: SecretStr | None = Field(
        default=None,
        validation_alias="PORTGATE_TEMPLATE_KEY",
        description="Base64 of 32 random bytes: AES-GCM key of face templates at rest.",
    )
    audit_key: SecretStr | None = Field(
        default=None,
        validation_alias="PORTGATE_AUDIT_KEY",
        description="HMAC key of the values audit rows name by hash (read by the audit room "
        "from the environment; here so that a weak one stops the API at start).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        validation_alias="PORTGATE_METRICS_TOKEN",
        description="Bearer token a Prometheus scraper sends to /metrics (admins may too).",
    )
    pass_public_keys: str | None = Field(
        default=None,
        validation_alias="PORTGATE_PASS_PUBLIC_KEYS",
        description="Trusted QR pass keys: KID=base64[;KID=base64...] (raw Ed25519 public).",
    )
    pass_signing_key: SecretStr | None = Field(
        default=None,
        validation_alias="PORTGATE_PASS_SIGNING_KEY",
        description="KID=base64 raw Ed25519 private key that signs appointment passes.",
    )
    audit_head_file: Path | None = Field(
        default=None,
        validation_alias="PORTGATE_AUDIT_HEAD_FILE",
        description="Append-only file the audit chain's head is appended to (one JSON line "
        "a publication); put it on another host or a write-once mount.",
    )
    audit_head_interval_s: Annotated[float, Field(gt=0, le=24 * 3600)] = Field(
        default=60.0,
        validation_alias="PORTGATE_AUDIT_HEAD_INTERVAL_S",
        description="Publish the audit head at least this often while it moves.",
    )
    audit_head_every: Annotated[int, Field(ge=1)] = Field(
        default=100,
        validation_alias="PORTGATE_AUDIT_HEAD_EVERY",
        description="Publish the audit head as soon as this many rows were appended.",
    )
    replica_warmup: bool = Field(
        default=True,
        validation_alias="PORTGATE_REPLICA_WARMUP",
        description="A server builds its largest sites' replica records at start, so the "
        "first full replica after a start is assembled, not built (off: built on demand).",
    )
    dev_mode: bool = Field(
        default=False,
        validation_alias="PORTGATE_DEV_MODE",
        description="Tests and demo only: random throwaway secrets when none are set.",
    )
    access_token_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = Field(
        default=15, validation_alias="PORTGATE_TOKEN_MINUTES"
    )
    session_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = Field(
        default=8 * 60, validation_alias="PORTGATE_SESSION_MINUTES"
    )
    cookie_secure: bool = Field(
        default=True,
        validation_alias="PORTGATE_COOKIE_SECURE",
        description="Send the session cookie over HTTPS only (turn off for plain-HTTP demo).",
    )
    open_command_ttl_s: Annotated[int, Field(ge=1, le=300)] = Field(
        default=10, validation_alias="PORTGATE_OPEN_TTL_S"
    )
    public_docs: bool = Field(
        default=True,
        validation_alias="PORTGATE_PUBLIC_DOCS",
        description="Serve /openapi.json and /docs without login (the schema is not secret).",
    )
    ban_four_eyes: bool = Field(
        default=False,
        validation_alias="PORTGATE_BAN_FOUR_EYES",
        description="A port ban takes effect only once a second authority user confirms it.",
    )

    totp_required: bool | None = Field(
        default=None,
        validation_alias="PORTGATE_TOTP_REQUIRED",
        description="Admins and port-authority users must log in with a TOTP code as well "
        "(docs/accounts.md); unset: on, except in dev mode (tests and the demo).",
    )

    @model_validator(mode="after")
    def _check_secrets(self) -> Self:
        if self.secret_key is None and self.dev_mode:
            self.secret_key = SecretStr(secrets.token_urlsafe(48))
        if self.template_key is None and self.dev_mode:
            self.template_key = SecretStr(base64.b64encode(secrets.token_bytes(32)).decode())
        if self.secret_key is None:
            raise SettingsError(
                "PORTGATE_SECRET_KEY is missing: set at least "
                f"{MIN_SECRET_LENGTH} random characters (e.g. python -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )
        template_key = self.template_key_bytes()
        self.pass_key_entries()
        signing_seed = self._pass_signing_seed()
        if not self.dev_mode:
            _check_strength(self, template_key, signing_seed)
        return self

    def _pass_signing_seed(self) -> bytes | None:
        if self.pass_signing_key is None:
            return None
        key_id, sep, text = self.pass_signing_key.get_secret_value().partition("=")
        try:
            if not sep or not key_id.strip():
                raise ValueError("no key id")
            return load_private_key(text).private_bytes_raw()
        except ValueError:
            raise SettingsError(
                "PORTGATE_PASS_SIGNING_KEY is not KID=base64 of an Ed25519 private key "
                "(the raw 32 bytes in base64, or PEM)"
            ) from None

    @model_validator(mode="after")
    def _check_mqtt(self) -> Self:
        try:
            if self.mqtt_url:
                self.mqtt_connection(self.mqtt_url)
        except MqttConnectionError as exc:
            raise SettingsError(f"MQTT_URL / PORTGATE_MQTT_*_FILE: {exc}") from None
        return self

    def pass_key_entries(self) -> dict[str, str]:
        """The trusted pass public keys by key id (base64 text), from PORTGATE_PASS_PUBLIC_KEYS."""
        entries: dict[str, str] = {}
        for item in (self.pass_public_keys or "").split(";"):
            if not item.strip():
                continue
            key_id, sep, text = item.strip().partition("=")
            if not sep or not key_id or not text:
                raise SettingsError("PORTGATE_PASS_PUBLIC_KEYS entries look like KID=base64")
            entries[key_id] = text
        return entries

    def template_key_bytes(self) -> bytes:
        """The AES-256 key for face templates; raise SettingsError if unset or malformed."""
        if self.template_key is None:
            raise SettingsError("PORTGATE_TEMPLATE_KEY is not set (base64 of 32 random bytes)")
        try:
            raw = base64.b64decode(self.template_key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise SettingsError("PORTGATE_TEMPLATE_KEY is not valid base64") from None
        if len(raw) != 32:
            raise SettingsError("PORTGATE_TEMPLATE_KEY must decode to exactly 32 bytes")
        return raw

    def ingest_client_id(self) -> str:
        """The ingest's MQTT client id: one persistent session per worker slot."""
        if self.worker_index is None:
            return self.mqtt_client_id
        return f"{self.mqtt_client_id}-w{self.worker_index}"

    def ingest_mqtt_url(self) -> str | None:
        """MQTT_URL for the ingest connection (a worker's own broker user, see below)."""
        return self._connection_url(live=False)

    def live_mqtt_url(self) -> str | None:
        """MQTT_URL for a worker's live-feed connection."""
        return self._connection_url(live=True)

    def ingest_mqtt_connection(self) -> MqttConnection | None:
        """The ingest connection (`ingest_mqtt_url` with the TLS files); None: no broker."""
        url = self.ingest_mqtt_url()
        return self.mqtt_connection(url) if url else None

    def live_mqtt_connection(self) -> MqttConnection | None:
        """A worker's live-feed connection (`live_mqtt_url` with the TLS files)."""
        url = self.live_mqtt_url()
        return self.mqtt_connection(url) if url else None

    def _connection_url(self, *, live: bool) -> str | None:
        # The generated broker sets use_username_as_clientid: connections sharing a user
        # would share a client id and displace each other, so each has its own user.
        url = self.mqtt_url
        worker = self.worker_index
        if not url or worker is None or not self.mqtt_worker_users:
            return url
        return derived_url(url, user=lambda api: connection_user(api, worker=worker, live=live))

    def totp_enforced(self) -> bool:
        """Whether admins and authority users must use TOTP (PORTGATE_TOTP_REQUIRED)."""
        return not self.dev_mode if self.totp_required is None else self.totp_required

    def jwt_secret(self) -> str:
        """The JWT signing secret (validated non-empty at construction)."""
        assert self.secret_key is not None  # noqa: S101 (guaranteed by _check_secrets)
        return self.secret_key.get_secret_value()


def _check_strength(settings: Settings, template_key: bytes, signing_seed: bytes | None) -> None:
    """Refuse weak secrets by name (`gate_protocol.secret_strength`); not in dev mode."""
    assert settings.secret_key is not None  # noqa: S101 (checked before)
    texts = {
        "PORTGATE_SECRET_KEY": settings.secret_key,
        "PORTGATE_METRICS_TOKEN": settings.metrics_token,
        "PORTGATE_AUDIT_KEY": settings.audit_key,
    }
    try:
        for name, value in texts.items():
            if value is not None:
                check_secret_text(name, value.get_secret_value())
        broker_password = urlsplit(settings.mqtt_url or "").password
        if broker_password:
            check_secret_text("the broker password in MQTT_URL", unquote(broker_password))
        check_key_bytes("PORTGATE_TEMPLATE_KEY", template_key)
        if signing_seed is not None:
            check_key_bytes("PORTGATE_PASS_SIGNING_KEY", signing_seed)
    except WeakSecretError as exc:
        raise SettingsError(str(exc)) from None
