"""The TOTP second factor (migration 0034): a user's sealed secret and recovery codes."""

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import time_field

__all__ = ["TotpRecoveryCode", "UserTotp"]


class UserTotp(SQLModel, table=True):
    """A user's TOTP secret, AES-GCM sealed under a key derived from the template key.

    A row without `confirmed_at` is an enrollment not yet confirmed with a code: it does
    not count. `last_step` is the time step of the last code accepted; no code of that step
    or an earlier one is accepted again (replay).
    """

    __tablename__ = "user_totp"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    nonce: bytes = Field(sa_type=LargeBinary)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = time_field(default_factory=utc_now)
    confirmed_at: datetime | None = time_field(default=None, nullable=True)
    last_step: int | None = None


class TotpRecoveryCode(SQLModel, table=True):
    """One of a user's one-time recovery codes: only its keyed hash is kept."""

    __tablename__ = "totp_recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    # HMAC-SHA256 of the code under a key derived from the template key, hex.
    code_hash: str = Field(max_length=64, unique=True)
    used_at: datetime | None = time_field(default=None, nullable=True)
