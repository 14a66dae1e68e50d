"""The access-control records that `policy.decide()` reads.

The central API builds them from its database; a gate agent reads them from its replica
(`replica.py` ships exactly these models), so both sides decide over the same data shapes.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from gate_protocol.i18n.locales import LaneLanguage
from gate_protocol.ids import Id
from gate_protocol.messages import CredentialKind, Direction
from gate_protocol.schedule import Schedule
from gate_protocol.thresholds import DEFAULT_IDENTIFY_THRESHOLD, DEFAULT_VERIFY_THRESHOLD

__all__ = [
    "DEFAULT_THREAT_KINDS",
    "AccessGrant",
    "AntiPassback",
    "AppointmentRecord",
    "CompanyStanding",
    "CompanyStatus",
    "CompetencyHeld",
    "CredentialRecord",
    "GatePolicy",
    "HostPresentation",
    "LastPassage",
    "OfflinePolicy",
    "PersonKind",
    "PersonRecord",
    "PersonStatus",
    "PortBanRecord",
    "WatchlistAction",
    "ZoneRules",
    "ban_entry_id",
    "flagged_entry_id",
    "own_watchlist_entries",
]

Name = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonKind(StrEnum):
    """Who a person is to the terminal."""

    STAFF = "staff"
    CONTRACTOR = "contractor"
    DRIVER = "driver"
    VISITOR = "visitor"


class PersonStatus(StrEnum):
    """Whether a person may pass at all."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class WatchlistAction(StrEnum):
    """What a watchlist hit does: raise an alarm only, or also deny."""

    ALERT = "alert"
    DENY = "deny"


class CompanyStatus(StrEnum):
    """Whether the people of a company may pass: as usual, with a second check, or not."""

    ACTIVE = "active"
    FLAGGED = "flagged"  # granted, but the face is checked everywhere and an alarm is raised
    SUSPENDED = "suspended"  # every badge, pass and appointment of its people is refused


class AntiPassback(StrEnum):
    """Per-zone anti-passback: a badge may not enter twice without leaving in between."""

    NONE = "none"
    SOFT = "soft"  # grant, but flag the violation on the event
    HARD = "hard"  # deny
    TIMED = "timed"  # deny within `apb_timeout_s` of the last same-direction passage


class OfflinePolicy(StrEnum):
    """What a gate does when the central API does not answer in time."""

    REPLICA = "replica"
    DENY = "deny"


ALL_KINDS = frozenset(PersonKind)
# Threat level 1 is normal operation; 2 keeps visitors out; 3 admits staff only.
DEFAULT_THREAT_KINDS: dict[int, frozenset[PersonKind]] = {
    1: ALL_KINDS,
    2: ALL_KINDS - {PersonKind.VISITOR},
    3: frozenset({PersonKind.STAFF}),
}


class CompetencyHeld(_Record):
    """A competency (e.g. ISPS training) a person holds, until an optional expiry."""

    name: Name
    valid_until: AwareDatetime | None = None


class AccessGrant(_Record):
    """Access to one zone, on a schedule (no schedule: at any time)."""

    zone_id: Id
    schedule: Schedule | None = None


class CompanyStanding(_Record):
    """The company a person works for, as far as the decision cares: its name and status."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    status: CompanyStatus = CompanyStatus.ACTIVE


class PortBanRecord(_Record):
    """A port ban in effect on a person (from the port authority), with its legal reference.

    Shipped to every gate where the person may pass, so a replica denies it offline too;
    the window is checked at decision time (a ban issued for tomorrow needs no resync).
    """

    ban_id: Id
    legal_reference: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None

    def in_effect(self, now: datetime) -> bool:
        """Whether the ban denies at `now`."""
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)


class PersonRecord(_Record):
    """A person as the decision sees them."""

    person_id: Id
    kind: PersonKind
    status: PersonStatus = PersonStatus.ACTIVE
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    grants: tuple[AccessGrant, ...] = Field(default=(), max_length=256)
    competencies: tuple[CompetencyHeld, ...] = Field(default=(), max_length=256)
    watchlist: WatchlistAction | None = None
    # A visitor who may pass only escorted: the host whose badge must come first.
    escort_host_id: Id | None = None
    company: CompanyStanding | None = None
    port_bans: tuple[PortBanRecord, ...] = Field(default=(), max_length=32)
    # What the lane display may show (issue 26): the first given name only, and the
    # language the person reads (None: English).
    first_name: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    language: LaneLanguage | None = None


class CredentialRecord(_Record):
    """A badge or QR pass bound to a person."""

    kind: CredentialKind
    ref: Id  # badge number, or QR pass id
    person_id: Id
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    revoked: bool = False


class AppointmentRecord(_Record):
    """A truck visit: a driver, a plate, gates and a time window, often with a one-time pass."""

    appointment_id: Id
    person_id: Id
    pass_id: Id | None = None
    gates: frozenset[Id]
    window_start: AwareDatetime
    window_end: AwareDatetime
    plate: Annotated[str, StringConstraints(max_length=16)] | None = None
    one_time: bool = True
    used: bool = False
    # The pass's own language for the lane display (issue 26.2), over the person's; optional,
    # so a record from before it parses (None: the person's language).
    language: LaneLanguage | None = None


class ZoneRules(_Record):
    """The rules of the zone a gate leads into."""

    zone_id: Id
    anti_passback: AntiPassback = AntiPassback.NONE
    apb_timeout_s: Annotated[int, Field(ge=0, le=7 * 86400)] = 0
    required_competencies: tuple[Name, ...] = Field(default=(), max_length=32)


class GatePolicy(_Record):
    """How one gate decides (set by the site admin, shipped in the replica)."""

    gate_id: Id
    zone_id: Id
    face_required: bool = True
    liveness_required: bool = True
    verify_threshold: Annotated[float, Field(gt=0, le=2)] = DEFAULT_VERIFY_THRESHOLD
    identify_threshold: Annotated[float, Field(gt=0, le=2)] = DEFAULT_IDENTIFY_THRESHOLD
    offline_policy: OfflinePolicy = OfflinePolicy.REPLICA
    replica_max_age_s: Annotated[int, Field(ge=0, le=30 * 86400)] = 24 * 3600
    face_required_from_threat: Annotated[int, Field(ge=1, le=4)] = 2
    # Face-only 1:N: a person without a credential is identified among the templates of
    # the gate's replica (identify_threshold), then decided as that person.
    face_identification: bool = False
    threat_kinds: dict[int, frozenset[PersonKind]] = Field(
        default_factory=lambda: dict(DEFAULT_THREAT_KINDS)
    )
    # Escort mode: how long after the host's granted presentation at a lane their visitor
    # may follow at the same lane.
    escort_window_s: Annotated[int, Field(ge=1, le=3600)] = 60


class LastPassage(_Record):
    """The person's last passage through the gate's zone, for anti-passback."""

    direction: Direction
    at: AwareDatetime


class HostPresentation(_Record):
    """A granted presentation at one lane of the gate: who, where, when (escort mode)."""

    person_id: Id
    lane: Annotated[int, Field(ge=0, le=63)]
    at: AwareDatetime


def flagged_entry_id(person_id: str) -> str:
    """The watchlist gallery's entry id of an enrolled person's flagged face."""
    return f"person:{person_id}"


def ban_entry_id(ban_id: str) -> str:
    """The watchlist gallery's entry id of a banned identity's face."""
    return f"ban:{ban_id}"


def own_watchlist_entries(person: PersonRecord) -> set[str]:
    """The gallery entry ids that stand for this person (their flag and their bans)."""
    return {flagged_entry_id(person.person_id), *(ban_entry_id(b.ban_id) for b in person.port_bans)}
