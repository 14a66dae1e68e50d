"""The per-gate replica: what an agent needs to decide on its own while the API is away.

The API serves `GET /api/v1/gates/{gate}/replica?since=VERSION` as a `ReplicaSnapshot` (no
`since`, or too old to diff) or a `ReplicaDelta` (changes after `since`). It holds only the
people allowed at that gate (data minimisation): a stolen gate computer leaks one gate's
staff, not the port's. Versions grow monotonically per site; `apply_delta` refuses a delta
that does not start at the snapshot's version, so an agent never silently skips a change.
"""

from collections.abc import Callable, Collection, Hashable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from gate_protocol.ids import Id
from gate_protocol.messages import CredentialKind
from gate_protocol.records import (
    AppointmentRecord,
    CredentialRecord,
    GatePolicy,
    PersonRecord,
    ZoneRules,
)

__all__ = [
    "REPLICA_SCHEMA_VERSION",
    "CommandKeyRecord",
    "FaceTemplateRecord",
    "PassKeyRecord",
    "ReplicaDelta",
    "ReplicaError",
    "ReplicaIndex",
    "ReplicaPayload",
    "ReplicaSnapshot",
    "WatchlistRecord",
    "WatchlistSource",
    "apply_delta",
    "decode_replica",
    "watchlist_in_effect",
]

REPLICA_SCHEMA_VERSION = 1
MAX_RECORDS = 200_000
Base64 = Annotated[str, StringConstraints(max_length=4096, pattern=r"^[A-Za-z0-9+/=]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaceTemplateRecord(_Model):
    """One enrolled face template (128 float32, little-endian, base64)."""

    template_id: Id
    person_id: Id
    encoding_b64: Base64


class WatchlistSource(StrEnum):
    """Why a face is on the port-wide watchlist."""

    PERSON_OF_INTEREST = "person_of_interest"  # not enrolled: a photo and a reason
    FLAGGED = "flagged"  # an enrolled person with an active watchlist entry
    BANNED = "banned"  # a port ban


class WatchlistRecord(_Model):
    """One face of the watchlist gallery (128 float32, little-endian, base64).

    `entry_id` is what a hit reports (``poi:<id>``, ``person:<id>``, ...): the gate never
    learns a name or a reason, only which entry its face matched.
    """

    entry_id: Id
    source: WatchlistSource
    encoding_b64: Base64
    # The entry's period (a person of interest's, a ban's): the gate screens only inside it,
    # so an entry that starts or ends takes effect without waiting for another change.
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None

    def in_effect(self, now: datetime) -> bool:
        """Whether the entry screens faces at `now`."""
        started = self.valid_from is None or self.valid_from <= now
        return started and (self.valid_until is None or now < self.valid_until)


def watchlist_in_effect(
    records: Sequence[WatchlistRecord], now: datetime
) -> tuple[list[WatchlistRecord], datetime | None]:
    """The entries in effect at `now`, and the next instant an entry starts or ends (or None)."""
    current = [r for r in records if r.in_effect(now)]
    ahead = [t for r in records for t in (r.valid_from, r.valid_until) if t is not None and t > now]
    return current, min(ahead, default=None)


class PassKeyRecord(_Model):
    """A public key that signs QR passes (raw Ed25519, base64), by key id."""

    key_id: Id
    public_key_b64: Base64


class CommandKeyRecord(_Model):
    """The gate's current command key (raw Ed25519 private key, base64), for this gate only."""

    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{1,8}$")]
    private_key_b64: Base64 = Field(repr=False)


class _Gate(_Model):
    schema_version: Literal[1] = 1
    site_id: Id
    gate_id: Id
    generated_at: AwareDatetime
    gate: GatePolicy
    zone: ZoneRules
    threat_level: Annotated[int, Field(ge=1, le=3)] = 1
    # Every snapshot and delta carries the current key whole, so a rotation reaches the gate
    # with the next sync of either kind.
    command_key: CommandKeyRecord | None = None
    # The public halves of every command key the gate's bridge must accept (the current one
    # and those not yet retired), carried whole like the key: the agent hands them to its
    # bridge (`gate_protocol.command_signing.CommandKeyList`).
    command_public_keys: tuple[PassKeyRecord, ...] = Field(default=(), max_length=64)


class ReplicaSnapshot(_Gate):
    """Everything one gate needs, as of `version`."""

    kind: Literal["snapshot"] = "snapshot"
    version: Annotated[int, Field(ge=0)]
    persons: tuple[PersonRecord, ...] = Field(default=(), max_length=MAX_RECORDS)
    credentials: tuple[CredentialRecord, ...] = Field(default=(), max_length=MAX_RECORDS)
    appointments: tuple[AppointmentRecord, ...] = Field(default=(), max_length=MAX_RECORDS)
    templates: tuple[FaceTemplateRecord, ...] = Field(default=(), max_length=MAX_RECORDS)
    pass_keys: tuple[PassKeyRecord, ...] = Field(default=(), max_length=64)
    watchlist: tuple[WatchlistRecord, ...] = Field(default=(), max_length=MAX_RECORDS)


class ReplicaDelta(_Gate):
    """The changes from `from_version` to `version`: records to upsert and ids to delete.

    Gate policy, zone rules and threat level are small and always sent whole. The
    watchlist is port-wide and changes rarely: a delta carries it whole when it changed
    after `from_version`, None when it did not.
    """

    kind: Literal["delta"] = "delta"
    from_version: Annotated[int, Field(ge=0)]
    version: Annotated[int, Field(ge=0)]
    persons: tuple[PersonRecord, ...] = Field(default=(), max_length=MAX_RECORDS)
    credentials: tuple[CredentialRecord, ...] = Field(default=(), max_length=MAX_RECORDS)
    appointments: tuple[AppointmentRecord, ...] = Field(default=(), max_length=MAX_RECORDS)
    templates: tuple[FaceTemplateRecord, ...] = Field(default=(), max_length=MAX_RECORDS)
    pass_keys: tuple[PassKeyRecord, ...] = Field(default=(), max_length=64)
    deleted_person_ids: tuple[Id, ...] = Field(default=(), max_length=MAX_RECORDS)
    deleted_credential_refs: tuple[tuple[CredentialKind, Id], ...] = Field(
        default=(), max_length=MAX_RECORDS
    )
    deleted_appointment_ids: tuple[Id, ...] = Field(default=(), max_length=MAX_RECORDS)
    deleted_template_ids: tuple[Id, ...] = Field(default=(), max_length=MAX_RECORDS)
    deleted_key_ids: tuple[Id, ...] = Field(default=(), max_length=64)
    watchlist: tuple[WatchlistRecord, ...] | None = Field(default=None, max_length=MAX_RECORDS)


ReplicaPayload = Annotated[ReplicaSnapshot | ReplicaDelta, Field(discriminator="kind")]
_PAYLOAD_ADAPTER: TypeAdapter[ReplicaSnapshot | ReplicaDelta] = TypeAdapter(ReplicaPayload)


class ReplicaError(ValueError):
    """A replica payload that cannot be applied."""


def decode_replica(payload: bytes | str) -> ReplicaSnapshot | ReplicaDelta:
    """Validate a replica response body (raises pydantic.ValidationError if invalid)."""
    return _PAYLOAD_ADAPTER.validate_json(payload)


K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


def _merge(
    current: tuple[R, ...], upserts: tuple[R, ...], deleted: set[K], key: Callable[[R], K]
) -> tuple[R, ...]:
    if not upserts and not deleted:
        return current  # most deltas touch one or two kinds of records: the rest stay as they are
    changed = {key(record): record for record in upserts}
    gone = deleted | changed.keys()  # one key and one lookup per record
    kept = [record for record in current if key(record) not in gone]
    return (*kept, *changed.values())


_Owned = TypeVar("_Owned", CredentialRecord, AppointmentRecord, FaceTemplateRecord)


def _without_people(records: tuple[_Owned, ...], gone: set[str]) -> tuple[_Owned, ...]:
    if not gone:
        return records
    return tuple(r for r in records if r.person_id not in gone)


def apply_delta(snapshot: ReplicaSnapshot, delta: ReplicaDelta) -> ReplicaSnapshot:
    """Return the snapshot with `delta` applied.

    Raises:
        ReplicaError: the delta is for another gate or does not start at the snapshot's version.
    """
    if (delta.site_id, delta.gate_id) != (snapshot.site_id, snapshot.gate_id):
        raise ReplicaError("delta is for another gate")
    if delta.from_version != snapshot.version:
        raise ReplicaError(
            f"delta starts at {delta.from_version}, replica is at {snapshot.version}"
        )
    if delta.version < delta.from_version:
        raise ReplicaError("delta goes backwards")
    gone_people = set(delta.deleted_person_ids)
    persons = _merge(snapshot.persons, delta.persons, gone_people, lambda r: r.person_id)
    credentials = _merge(
        snapshot.credentials,
        delta.credentials,
        set(delta.deleted_credential_refs),
        lambda r: (r.kind, r.ref),
    )
    appointments = _merge(
        snapshot.appointments,
        delta.appointments,
        set(delta.deleted_appointment_ids),
        lambda r: r.appointment_id,
    )
    templates = _merge(
        snapshot.templates,
        delta.templates,
        set(delta.deleted_template_ids),
        lambda r: r.template_id,
    )
    keys = _merge(
        snapshot.pass_keys, delta.pass_keys, set(delta.deleted_key_ids), lambda r: r.key_id
    )
    # A deleted person takes everything bound to them along (erasure reaches the gate whole).
    return ReplicaSnapshot(
        site_id=snapshot.site_id,
        gate_id=snapshot.gate_id,
        generated_at=delta.generated_at,
        gate=delta.gate,
        zone=delta.zone,
        threat_level=delta.threat_level,
        command_key=delta.command_key,
        command_public_keys=delta.command_public_keys,
        version=delta.version,
        persons=persons,
        credentials=_without_people(credentials, gone_people),
        appointments=_without_people(appointments, gone_people),
        templates=_without_people(templates, gone_people),
        pass_keys=keys,
        watchlist=snapshot.watchlist if delta.watchlist is None else delta.watchlist,
    )


class ReplicaIndex:
    """Lookups over a snapshot for the agent's offline decisions (built once per version)."""

    def __init__(self, snapshot: ReplicaSnapshot) -> None:
        self.snapshot = snapshot
        self._persons = {p.person_id: p for p in snapshot.persons}
        self._credentials = {(c.kind, c.ref): c for c in snapshot.credentials}
        self._appointments = {a.pass_id: a for a in snapshot.appointments if a.pass_id}
        self._templates: dict[str, list[FaceTemplateRecord]] = {}
        for template in snapshot.templates:
            self._templates.setdefault(template.person_id, []).append(template)

    def person(self, person_id: str) -> PersonRecord | None:
        """The person with this id, if the gate may know them."""
        return self._persons.get(person_id)

    def credential(self, kind: CredentialKind, ref: str) -> CredentialRecord | None:
        """The badge (by number) or pass (by pass id)."""
        return self._credentials.get((kind, ref))

    def appointment_for_pass(self, pass_id: str) -> AppointmentRecord | None:
        """The truck appointment a QR pass belongs to."""
        return self._appointments.get(pass_id)

    def templates_of(self, person_id: str) -> tuple[FaceTemplateRecord, ...]:
        """The enrolled face templates of a person."""
        return tuple(self._templates.get(person_id, ()))

    def people_with_templates(self) -> Collection[str]:
        """The ids of the people with at least one enrolled face template."""
        return self._templates.keys()
