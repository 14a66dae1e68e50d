"""Sites, zones and gates: where access is decided, and each gate's policy."""

from datetime import datetime
from typing import Annotated, Any, Literal

from gate_protocol.ids import Id
from gate_protocol.records import AntiPassback, OfflinePolicy
from gate_protocol.schedule import TimeZoneName
from gate_protocol.thresholds import DEFAULT_IDENTIFY_THRESHOLD, DEFAULT_VERIFY_THRESHOLD
from pydantic import Field as PydField
from sqlalchemy import JSON, String, false
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import NameStr, enum_column, time_field

__all__ = [
    "Gate",
    "GateBase",
    "GateCreate",
    "GatePublic",
    "GateUpdate",
    "Site",
    "SiteBase",
    "SiteCreate",
    "SitePublic",
    "SiteTimezoneIn",
    "Zone",
    "ZoneBase",
    "ZoneCreate",
    "ZonePublic",
]

ThreatLevel = Annotated[int, PydField(ge=1, le=3)]


class SiteBase(SQLModel):
    """A terminal (one broker, one threat level)."""

    name: NameStr = Field(max_length=120)
    # The site's one IANA zone: its schedules without a zone, reports, pass cards.
    timezone: TimeZoneName = Field(default="UTC", max_length=64)
    four_eyes_open: bool = False


class SiteTimezoneIn(SQLModel):
    """A site's new IANA time zone, e.g. "Europe/Amsterdam"."""

    timezone: TimeZoneName


class SiteCreate(SiteBase):
    """Create a site."""

    id: Id = Field(schema_extra={"examples": ["rtm-maasvlakte"]})


class Site(SiteBase, table=True):
    """A site row; `replica_version` is bumped by every change that gates must learn."""

    id: str = Field(primary_key=True, max_length=64)
    threat_level: int = Field(default=1, ge=1, le=3)
    replica_version: int = Field(default=0)
    threat_changed_at: datetime | None = time_field(default=None)
    # Only the insider-rule fields this site changes (central_api.insider.rules).
    insider_rules: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Operators see a person's kept enrollment photo beside face decisions (0033; off).
    show_enrolled_photos: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The site keeps the camera stills its agents send with alarms, this many days (0037; off).
    keep_alarm_stills: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    still_retention_days: int = Field(
        default=7, ge=1, le=90, sa_column_kwargs={"server_default": "7"}
    )


class SitePublic(SiteBase):
    """A site as the API shows it."""

    id: str
    threat_level: int
    replica_version: int


class ZoneBase(SQLModel):
    """An area behind gates with its own anti-passback and competency rules."""

    name: NameStr = Field(max_length=120)
    anti_passback: AntiPassback = enum_column(AntiPassback, default=AntiPassback.NONE)
    apb_timeout_s: int = Field(default=0, ge=0, le=7 * 86400)
    required_competencies: list[str] = Field(default_factory=list, sa_type=JSON)


class ZoneCreate(ZoneBase):
    """Create a zone."""

    id: Id
    site_id: Id


class Zone(ZoneBase, table=True):
    """A zone row."""

    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=64)


class ZonePublic(ZoneBase):
    """A zone as the API shows it."""

    id: str
    site_id: str


class GateBase(SQLModel):
    """A gate's layout and decision policy (shipped to its agent in the replica)."""

    name: str = Field(default="", max_length=120)
    lanes: int = Field(default=1, ge=1, le=64)
    direction: Literal["entry", "exit", "both"] = Field(default="both", sa_type=String(8))
    face_required: bool = True
    liveness_required: bool = True
    verify_threshold: float = Field(default=DEFAULT_VERIFY_THRESHOLD, gt=0, le=2)
    identify_threshold: float = Field(default=DEFAULT_IDENTIFY_THRESHOLD, gt=0, le=2)
    offline_policy: OfflinePolicy = enum_column(OfflinePolicy, default=OfflinePolicy.REPLICA)
    replica_max_age_s: int = Field(default=24 * 3600, ge=0, le=30 * 86400)
    face_required_from_threat: int = Field(default=2, ge=1, le=4)
    # Face-only 1:N (no badge or pass) is allowed only where the site admin switched it on.
    face_identification: bool = False
    # Escort mode: seconds a visitor may follow their host's grant at the same lane.
    escort_window_s: int = Field(default=60, ge=1, le=3600)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class GateCreate(GateBase):
    """Create a gate."""

    id: Id = Field(schema_extra={"examples": ["north-1"]})
    site_id: Id
    zone_id: Id


class GateUpdate(SQLModel):
    """Change a gate's policy (every field optional)."""

    name: str | None = Field(default=None, max_length=120)
    face_required: bool | None = None
    liveness_required: bool | None = None
    verify_threshold: float | None = Field(default=None, gt=0, le=2)
    identify_threshold: float | None = Field(default=None, gt=0, le=2)
    offline_policy: OfflinePolicy | None = None
    replica_max_age_s: int | None = Field(default=None, ge=0, le=30 * 86400)
    face_required_from_threat: int | None = Field(default=None, ge=1, le=4)
    face_identification: bool | None = None
    escort_window_s: int | None = Field(default=None, ge=1, le=3600)


class Gate(GateBase, table=True):
    """A gate row; gate ids are unique across sites (they appear alone in API paths)."""

    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=64)
    zone_id: str = Field(foreign_key="zone.id", index=True, max_length=64)
    created_at: datetime = time_field(default_factory=utc_now)


class GatePublic(GateBase):
    """A gate as the API shows it."""

    id: str
    site_id: str
    zone_id: str
