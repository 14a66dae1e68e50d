"""Enrollment settings, read from the environment beside the API's own `Settings`.

Raw photos are not kept by default (GDPR Art. 9: templates only). A site that must keep
them sets ``PORTGATE_PHOTO_RETENTION_DAYS``; they are then stored encrypted with a key
derived from the template key and purged automatically once the period has passed.
"""

from typing import Annotated

from biometrics import DEFAULT_VERIFY_THRESHOLD
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from central_api.config import Settings

__all__ = ["MAX_TEMPLATES", "EnrollSettings", "get_enroll_settings", "photo_key"]

MAX_TEMPLATES = 5


class EnrollSettings(BaseSettings):
    """How the security desk enrolls; each field is an environment variable."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    photo_retention_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        default=0,
        validation_alias="PORTGATE_PHOTO_RETENTION_DAYS",
        description="Keep raw photos (encrypted) this many days; 0: never keep them.",
    )
    duplicate_threshold: Annotated[float, Field(gt=0, le=1)] = Field(
        default=DEFAULT_VERIFY_THRESHOLD,
        validation_alias="PORTGATE_DUPLICATE_THRESHOLD",
        description="A new face closer than this to someone else's needs a second desk user.",
    )
    purge_interval_s: Annotated[int, Field(ge=1, le=86400)] = Field(
        default=3600,
        validation_alias="PORTGATE_PHOTO_PURGE_INTERVAL_S",
        description="How often expired photos and stale pending faces are purged.",
    )
    pending_hours: Annotated[int, Field(ge=1, le=24 * 30)] = Field(
        default=24,
        validation_alias="PORTGATE_PENDING_FACE_HOURS",
        description="A face awaiting a second user's confirmation is dropped after this.",
    )


def get_enroll_settings(request: Request) -> EnrollSettings:
    """The app's enrollment settings (read from the environment once per app)."""
    settings: EnrollSettings | None = getattr(request.app.state, "enroll_settings", None)
    if settings is None:
        settings = EnrollSettings()
        request.app.state.enroll_settings = settings
    return settings


def photo_key(settings: Settings) -> bytes:
    """The AES-256 key of kept photos, derived from the template key (separate purpose)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portgate-photo-v1").derive(
        settings.template_key_bytes()
    )
