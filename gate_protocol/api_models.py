"""HTTP bodies shared by the gate agents and the central API (docs/architecture.md, decisions).

`POST /api/v1/decisions` takes a `DecisionQuery` (gate from the caller's gate key) and answers
a `DecisionAnswer`; `POST /api/v1/events` takes an `EventBatch` of outbox events and answers
an `EventBatchResult`; `POST /api/v1/events/known` takes an `EventIdQuery` and answers which of
those events of the calling gate the API has stored (`EventIdAnswer`). A broker's PUBACK only
means the broker has an event; an agent keeps each event until the API confirms it stored it.
Alarms go the same way: `POST /api/v1/alarms` takes an `AlarmBatch` (`AlarmBatchResult`),
`POST /api/v1/alarms/known` an `AlarmIdQuery` (`AlarmIdAnswer`).
"""

from typing import Annotated, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from gate_protocol.ids import BadgeNumber, Id
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    AlarmRaised,
    CredentialKind,
    Decision,
    Direction,
)
from gate_protocol.reasons import ReasonCode

__all__ = [
    "MAX_ALARM_BATCH",
    "MAX_EVENT_BATCH",
    "AlarmBatch",
    "AlarmBatchResult",
    "AlarmIdAnswer",
    "AlarmIdQuery",
    "DecisionAnswer",
    "DecisionQuery",
    "EventBatch",
    "EventBatchResult",
    "EventIdAnswer",
    "EventIdQuery",
    "FaceReport",
]

MAX_EVENT_BATCH = 500
MAX_ALARM_BATCH = 500


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaceReport(_Body):
    """The agent's face result: distance to the claimed (or identified) person, liveness."""

    seen: bool
    distance: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = None
    liveness_passed: bool | None = None
    liveness_score: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = None
    # The watchlist entry the face matched at the strict threshold (the replica's gallery).
    watchlist_entry_id: Id | None = None


class DecisionQuery(_Body):
    """One presentation at the calling gate. Exactly one of badge, pass token or person id."""

    request_id: Id
    lane: Annotated[int, Field(ge=0, le=63)] = 0
    direction: Direction
    credential_kind: CredentialKind
    badge_number: BadgeNumber | None = None
    pass_token: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
    person_id: Id | None = None
    face: FaceReport | None = None
    occurred_at: AwareDatetime

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        expected = {
            CredentialKind.BADGE: "badge_number",
            CredentialKind.QR_PASS: "pass_token",
            CredentialKind.FACE: "person_id",
        }[self.credential_kind]
        given = [f for f in ("badge_number", "pass_token", "person_id") if getattr(self, f)]
        if given != [expected]:
            raise ValueError(f"a {self.credential_kind} query carries {expected} and nothing else")
        return self


class DecisionAnswer(_Body):
    """The API's authoritative decision."""

    request_id: Id
    decision: Decision
    reason: ReasonCode
    reason_text: str
    detail: str | None = None
    person_id: Id | None = None
    alarms: tuple[AlarmKind, ...] = ()
    replica_version: Annotated[int, Field(ge=0)]
    # A grant despite soft anti-passback: the gate's event says so.
    anti_passback_violation: bool = False
    # The distance threshold the face was judged at (None: no face was compared).
    face_threshold: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = None


class EventBatch(_Body):
    """Outbox events an agent replays after an outage (idempotent on event_id)."""

    events: Annotated[tuple[AccessEvent, ...], Field(min_length=1, max_length=MAX_EVENT_BATCH)]


class EventBatchResult(_Body):
    """How many events were new and how many the API already had."""

    stored: int
    duplicates: int


class EventIdQuery(_Body):
    """Which of these events (of the calling gate) has the API stored?"""

    event_ids: Annotated[tuple[Id, ...], Field(min_length=1, max_length=MAX_EVENT_BATCH)]


class EventIdAnswer(_Body):
    """The subset of the queried event ids that the API has stored."""

    known: Annotated[tuple[Id, ...], Field(max_length=MAX_EVENT_BATCH)]


class AlarmBatch(_Body):
    """Alarms of the calling gate the API may lack (idempotent on alarm_id)."""

    alarms: Annotated[tuple[AlarmRaised, ...], Field(min_length=1, max_length=MAX_ALARM_BATCH)]


class AlarmBatchResult(_Body):
    """How many alarms were new and how many the API already had."""

    stored: int
    duplicates: int


class AlarmIdQuery(_Body):
    """Which of these alarms (of the calling gate) has the API stored?"""

    alarm_ids: Annotated[tuple[Id, ...], Field(min_length=1, max_length=MAX_ALARM_BATCH)]


class AlarmIdAnswer(_Body):
    """The subset of the queried alarm ids that the API has stored."""

    known: Annotated[tuple[Id, ...], Field(max_length=MAX_ALARM_BATCH)]
