"""A baseline profile: the YAML schema (unknown keys refused, by name) and the shipped files.

Each requirement is optional (absent: not checked) and has a severity: a failed ``must``
fails the check (exit 1), a failed ``should`` only lowers the score.
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from gate_protocol.records import OfflinePolicy
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "PROFILE_DIR",
    "Profile",
    "ProfileError",
    "Requirement",
    "Severity",
    "load_profile",
    "shipped_profile",
]

PROFILE_DIR = Path(__file__).parent / "profiles"


class Severity(StrEnum):
    """How much a failed requirement weighs."""

    MUST = "must"
    SHOULD = "should"


class Requirement(BaseModel):
    """A requirement that is met or not (no parameter)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity = Severity.MUST


class MaxSeconds(Requirement):
    """A duration that must not exceed `max_s`."""

    max_s: Annotated[int, Field(ge=0)]


class MaxThreshold(Requirement):
    """A face distance threshold that must not exceed `max` (higher: laxer matching)."""

    max: Annotated[float, Field(gt=0, le=2)]


class AllowedOffline(Requirement):
    """The offline policies a gate may have."""

    allowed: Annotated[tuple[OfflinePolicy, ...], Field(min_length=1)]


class Requirements(BaseModel):
    """What the profile asks; a requirement left out is not checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    face_on_every_gate: Requirement | None = None
    liveness_on_face_gates: Requirement | None = None
    face_threshold: MaxThreshold | None = None
    replica_max_age: MaxSeconds | None = None
    offline_policy: AllowedOffline | None = None
    replica_encryption: Requirement | None = None
    four_eyes_remote_open: Requirement | None = None
    insider_rules_not_loosened: Requirement | None = None
    broker_tls: Requirement | None = None
    audit_anchored: Requirement | None = None
    admin_mfa: Requirement | None = None


class Profile(BaseModel):
    """A baseline profile: its name, where it is derived from, its requirements."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=120)]
    isps_level: Annotated[int, Field(ge=1, le=3)] | None = None
    derived_from: tuple[str, ...] = ()
    requirements: Requirements


class ProfileError(ValueError):
    """A profile that cannot be read: the file, the YAML, or a key (named) and its problem."""


def load_profile(path: Path) -> Profile:
    """Read and validate one profile file.

    Raises:
        ProfileError: unreadable file, bad YAML, an unknown or missing key, a bad value.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not YAML: {exc}") from None
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise ProfileError(f"{path}: {problems}") from None


def _problem(error: object) -> str:
    assert isinstance(error, dict)  # noqa: S101 (pydantic's ErrorDetails)
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key {where!r}"
    if error["type"] == "missing":
        return f"missing key {where!r}"
    return f"{where}: {error['msg']}"


def shipped_profile(level: int) -> Path:
    """The shipped profile "EU port facility, ISPS level `level`" (1, 2 or 3)."""
    if level not in (1, 2, 3):
        raise ProfileError(f"no shipped profile for ISPS level {level} (1, 2 or 3)")
    return PROFILE_DIR / f"eu-port-isps-level-{level}.yaml"
