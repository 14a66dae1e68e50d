"""Signed QR pass tokens for truck drivers' visits and visitors (docs/architecture.md, decisions).

A pass is ``PG1:`` followed by the pass bytes written as one big number in base 44,
whose digits are the QR alphanumeric characters without the space
(``0-9 A-Z $ % * + - . / :``), so a QR code holds it in alphanumeric mode (5.5 bits a
character) and no scanner can trim a trailing space off it. The pass bytes::

    signed part
      issued_at     3 bytes, big-endian minutes since 2024-01-01T00:00Z (up to 2055-11)
      not_before    varint of zigzag(minutes from issued_at) * 4 + flags, where flags
                    bit 0 is one-time and bit 1 has a plate; within 400 days
      expires_at    varint, minutes after not_before (1 minute to 400 days)
      text          one big number in base 40 (``0-9 A-Z - . _`` and a separator):
                    key id, pass id, holder id, the gates, then the plate if any
    signature       64 bytes, Ed25519 over the ASCII "portgate-pass-v1", a NUL, and the signed part

Why not JSON or a JWT: the same claims as an EdDSA JWT take 332 characters (QR 14-M).

Size, measured by tests/gate_protocol/test_passes_qr.py and bench/bench_passes.py: a typical
driver pass (3-character key id, 10-character pass id, 8-character holder id, two 2- to
5-character gates, a 7-character plate, one-time, 8-hour window) has 31 to 36 bytes of
claims and is 144 to 151 characters: QR version 6 at error level M. The issue's target
of 120 characters (QR version 5-M) cannot be met with an Ed25519 signature: prefix and
signature alone take 98 characters, leaving 15 bytes for all claims. What holds instead,
by construction: `PassSigner.issue` refuses (`PassTooLargeError`) any pass longer than
154 characters, the most QR version 6 holds at level M. Limits enforced: key id 1-8 of
``0-9 A-Z``; pass id and holder id 1-20 of ``0-9 A-Z - . _`` (a UUID does not fit: use a
short id, e.g. `new_pass_id()`); 1-8 distinct gates of 1-12 characters; plate 1-10 of
``0-9 A-Z -``. Gate ids and plates are upper-cased; pass and holder ids must already be.
Times are aware datetimes on whole minutes. Every id character costs 5.3 bits, so the
longest ids together with many gates exceed 154 characters and are refused at issue.

`verify_pass` checks in this order and names the first failure: oversized (over 512
bytes as UTF-8, before any decoding), malformed (prefix, alphabet, layout, claims,
non-canonical encoding), unknown key id, bad signature, then, only for a pass whose
signature holds: not yet valid, expired, wrong gate. The token must be exactly as issued:
no surrounding whitespace, no lower case. `verify_pass` is stateless: a one-time pass
verifies every time it is shown, and the caller (agent outbox, central API) refuses a
``pass_id`` already used.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from gate_protocol.passes.codec import SIGNATURE_BYTES as _SIGNATURE_BYTES
from gate_protocol.passes.codec import MalformedPassError as _MalformedError
from gate_protocol.passes.codec import decode_digits as _decode_digits
from gate_protocol.passes.codec import encode_digits as _encode_digits
from gate_protocol.passes.codec import pack_text as _pack_text
from gate_protocol.passes.codec import read_varint as _read_varint
from gate_protocol.passes.codec import unpack_text as _unpack_text
from gate_protocol.passes.codec import unzigzag as _unzigzag
from gate_protocol.passes.codec import varint as _varint
from gate_protocol.passes.codec import zigzag as _zigzag
from gate_protocol.passes.keys import PassKeyring, check_key_id

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "MAX_ISSUED_TOKEN_CHARS",
    "MAX_TOKEN_BYTES",
    "TOKEN_PREFIX",
    "PassClaims",
    "PassRejectReason",
    "PassRejected",
    "PassSigner",
    "PassTooLargeError",
    "PassVerified",
    "new_pass_id",
    "token_key_id",
    "verify_pass",
]

TOKEN_PREFIX = "PG1:"  # noqa: S105 (a format marker, not a secret)
MAX_TOKEN_BYTES = 512
MAX_ISSUED_TOKEN_CHARS = 154  # alphanumeric capacity of QR version 6 at error level M
DEFAULT_CLOCK_SKEW = timedelta(minutes=1)
_MAX_CLOCK_SKEW = timedelta(hours=1)
_MAX_SPAN = timedelta(days=400)
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)
_LAST = _EPOCH + (2**24 - 1) * _MINUTE
_DOMAIN = b"portgate-pass-v1\x00"
_FLAG_ONE_TIME = 0x01
_FLAG_PLATE = 0x02
_CROCKFORD32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _upper(value: Any) -> Any:
    # ASCII only: str.upper() maps some non-ASCII letters onto ASCII ones ("ſ" -> "S").
    return value.upper() if isinstance(value, str) and value.isascii() else value


def _on_whole_minute(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    if value.second or value.microsecond:
        raise ValueError("pass times are whole minutes (second=0, microsecond=0)")
    if not _EPOCH <= value <= _LAST:
        raise ValueError(f"pass times lie between {_EPOCH:%Y-%m-%d} and {_LAST:%Y-%m-%d}")
    return value


_Id = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z._-]{1,20}$")]
_GateId = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[0-9A-Z._-]{1,12}$")]
_Plate = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[0-9A-Z-]{1,10}$")]
_PassTime = Annotated[AwareDatetime, AfterValidator(_on_whole_minute)]


class PassClaims(BaseModel):
    """What a pass says: who, where, when, how often. Immutable; times are UTC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pass_id: _Id = Field(description="Pass id, 1-20 of 0-9 A-Z - . _")
    holder_id: _Id = Field(description="Person id of the holder, 1-20 of 0-9 A-Z - . _")
    gates: tuple[_GateId, ...] = Field(
        min_length=1, max_length=8, description="Gates where the pass is valid"
    )
    issued_at: _PassTime
    not_before: _PassTime
    expires_at: _PassTime
    one_time: bool = Field(default=False, description="Valid for a single passage")
    plate: _Plate | None = Field(default=None, description="Vehicle plate, upper case")

    @model_validator(mode="after")
    def _check_window(self) -> PassClaims:
        if len(set(self.gates)) != len(self.gates):
            raise ValueError("gates must be distinct")
        if self.expires_at <= self.not_before:
            raise ValueError("expires_at must be after not_before")
        if self.expires_at - self.not_before > _MAX_SPAN:
            raise ValueError("a pass is valid for at most 400 days")
        if abs(self.not_before - self.issued_at) > _MAX_SPAN:
            raise ValueError("not_before must lie within 400 days of issued_at")
        return self


class PassRejectReason(StrEnum):
    """Why a pass token was refused."""

    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_GATE = "wrong_gate"
    MALFORMED = "malformed"
    OVERSIZED = "oversized"


@dataclass(frozen=True, slots=True)
class PassVerified:
    """A pass whose signature, time window and gate all hold."""

    claims: PassClaims
    key_id: str


@dataclass(frozen=True, slots=True)
class PassRejected:
    """A refused pass: the reason, a message for people, and the claims when signed.

    ``claims`` is set only for expired, not_yet_valid and wrong_gate, the reasons that are
    decided after the signature verified; otherwise nothing in the token is trusted.
    """

    reason: PassRejectReason
    message: str
    claims: PassClaims | None = None


class PassTooLargeError(ValueError):
    """The claims do not fit in a QR version 6-M pass (over 154 characters)."""


def new_pass_id() -> str:
    """Return a fresh 10-character pass id (50 random bits from `secrets`, Crockford)."""
    return "".join(secrets.choice(_CROCKFORD32) for _ in range(10))


class PassSigner:
    """Issues pass tokens with one Ed25519 private key.

    Args:
        private_key: The signing key (see `gate_protocol.passes.keys`).
        key_id: Its key id, as in the verifiers' keyrings.
    """

    def __init__(self, private_key: Ed25519PrivateKey, key_id: str) -> None:
        if not isinstance(private_key, Ed25519PrivateKey):
            raise TypeError("private_key must be an Ed25519PrivateKey")
        self._private_key = private_key
        self.key_id = check_key_id(key_id)

    def public_key(self) -> Ed25519PublicKey:
        """Return the public key that verifies this signer's passes."""
        return self._private_key.public_key()

    def issue(self, claims: PassClaims) -> str:
        """Sign the claims and return the token text for the QR code.

        Args:
            claims: What the pass grants.

        Returns:
            The token, at most `MAX_ISSUED_TOKEN_CHARS` characters.

        Raises:
            PassTooLargeError: The claims' ids are too long for QR version 6-M.
        """
        signed = _pack(claims, self.key_id)
        signature = self._private_key.sign(_DOMAIN + signed)
        token = TOKEN_PREFIX + _encode_digits(signed + signature)
        if len(token) > MAX_ISSUED_TOKEN_CHARS:
            raise PassTooLargeError(
                f"pass would be {len(token)} characters, over {MAX_ISSUED_TOKEN_CHARS} "
                "(QR version 6-M); shorten the ids, the plate or the gate list"
            )
        return token


def verify_pass(
    token: str,
    *,
    keyring: PassKeyring,
    gate_id: str | None,
    now: datetime,
    skew: timedelta = DEFAULT_CLOCK_SKEW,
) -> PassVerified | PassRejected:
    """Verify a pass token offline.

    Args:
        token: The text read from the QR code.
        keyring: The public keys trusted, by key id.
        gate_id: The gate asking (compared without regard to case); None skips the gate
            check, e.g. at a security desk.
        now: The current time, timezone-aware.
        skew: Clock skew tolerated at both ends of the window, 0 to 1 hour.

    Returns:
        `PassVerified`, or `PassRejected` naming the first check that failed.

    Raises:
        TypeError: The token is not a str.
        ValueError: ``now`` is naive or ``skew`` is out of range.
    """
    if not isinstance(token, str):
        raise TypeError(f"token must be str, got {type(token).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if not timedelta(0) <= skew <= _MAX_CLOCK_SKEW:
        raise ValueError("skew must be between 0 and 1 hour")
    if len(token) > MAX_TOKEN_BYTES or (
        not token.isascii() and len(token.encode("utf-8", "surrogatepass")) > MAX_TOKEN_BYTES
    ):
        return PassRejected(PassRejectReason.OVERSIZED, f"token is over {MAX_TOKEN_BYTES} bytes")
    try:
        key_id, claims, signed, signature = _parse(token)
    except _MalformedError as exc:
        return PassRejected(PassRejectReason.MALFORMED, f"not a valid pass: {exc}")
    public_key = keyring.get(key_id)
    if public_key is None:
        return PassRejected(PassRejectReason.UNKNOWN_KEY, f"unknown pass key id {key_id}")
    try:
        public_key.verify(signature, _DOMAIN + signed)
    except InvalidSignature:
        return PassRejected(PassRejectReason.BAD_SIGNATURE, "pass signature does not verify")
    valid_from = max(claims.not_before, claims.issued_at)
    if now < valid_from - skew:
        return PassRejected(
            PassRejectReason.NOT_YET_VALID,
            f"pass {claims.pass_id} is valid from {valid_from:%Y-%m-%d %H:%M} UTC",
            claims,
        )
    if now >= claims.expires_at + skew:
        return PassRejected(
            PassRejectReason.EXPIRED,
            f"pass {claims.pass_id} expired at {claims.expires_at:%Y-%m-%d %H:%M} UTC",
            claims,
        )
    if gate_id is not None and _upper(gate_id) not in claims.gates:
        return PassRejected(
            PassRejectReason.WRONG_GATE,
            f"pass {claims.pass_id} is not valid at gate {gate_id}",
            claims,
        )
    return PassVerified(claims=claims, key_id=key_id)


def token_key_id(token: str) -> str | None:
    """The key id a pass says it was signed with (unverified; None: not a pass token).

    For key rotation: which passes still need an old public key (`portgate keys list`).
    """
    try:
        return _parse(token)[0]
    except (_MalformedError, ValueError):
        return None


def _pack(claims: PassClaims, key_id: str) -> bytes:
    issued = (claims.issued_at - _EPOCH) // _MINUTE
    start = (claims.not_before - _EPOCH) // _MINUTE
    end = (claims.expires_at - _EPOCH) // _MINUTE
    flags = (_FLAG_ONE_TIME if claims.one_time else 0) | (_FLAG_PLATE if claims.plate else 0)
    fields = [key_id, claims.pass_id, claims.holder_id, *claims.gates]
    if claims.plate:
        fields.append(claims.plate)
    return (
        issued.to_bytes(3, "big")
        + _varint(_zigzag(start - issued) << 2 | flags)
        + _varint(end - start)
        + _pack_text("\x00".join(fields))
    )


def _parse(token: str) -> tuple[str, PassClaims, bytes, bytes]:
    if not token.startswith(TOKEN_PREFIX):
        raise _MalformedError(f"expected the {TOKEN_PREFIX} prefix")
    data = _decode_digits(token[len(TOKEN_PREFIX) :])
    signed, signature = data[:-_SIGNATURE_BYTES], data[-_SIGNATURE_BYTES:]
    if len(signed) < 6:
        raise _MalformedError("too short")
    issued = int.from_bytes(signed[:3], "big")
    delta_flags, pos = _read_varint(signed, 3)
    delta, flags = delta_flags >> 2, delta_flags & 0x03
    length, pos = _read_varint(signed, pos)
    fields = _unpack_text(signed[pos:]).split("\x00")
    has_plate = bool(flags & _FLAG_PLATE)
    if len(fields) < 4 + has_plate:
        raise _MalformedError("missing fields")
    key_id, pass_id, holder_id, *gates = fields
    start = issued + _unzigzag(delta)
    try:
        check_key_id(key_id)
        claims = PassClaims(
            pass_id=pass_id,
            holder_id=holder_id,
            gates=tuple(gates[:-1] if has_plate else gates),
            issued_at=_EPOCH + issued * _MINUTE,
            not_before=_EPOCH + start * _MINUTE,
            expires_at=_EPOCH + (start + length) * _MINUTE,
            one_time=bool(flags & _FLAG_ONE_TIME),
            plate=gates[-1] if has_plate else None,
        )
    except (ValidationError, ValueError, OverflowError):
        raise _MalformedError("claims out of range") from None
    # One pass, one encoding: refuse anything the signer would not have written.
    if _pack(claims, key_id) != signed:
        raise _MalformedError("non-canonical encoding")
    return key_id, claims, signed, signature
