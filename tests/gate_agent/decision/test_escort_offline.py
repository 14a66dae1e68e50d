"""Escort mode and soft anti-passback while the API is away: the replica path decides."""

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from gate_agent.decision.decider import PresentationDecider, ReplicaView
from gate_agent.decision.presentation import Presentation
from gate_agent.decision.replica_policy import remember_presentation
from gate_agent.decision.story import Story, build_event
from gate_agent.links.api_client import ApiClient
from gate_protocol.messages import CredentialKind, DecidedBy, Direction
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import (
    AccessGrant,
    AntiPassback,
    CredentialRecord,
    HostPresentation,
    LastPassage,
    PersonKind,
    PersonRecord,
)
from gate_protocol.replica import ReplicaIndex
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, ZONE, make_snapshot

VISITOR_BADGE = "BEEF"


def _index(anti_passback: AntiPassback = AntiPassback.NONE) -> ReplicaIndex:
    snapshot = make_snapshot(anti_passback=anti_passback)
    visitor = PersonRecord(
        person_id="V1",
        kind=PersonKind.VISITOR,
        grants=(AccessGrant(zone_id=ZONE),),
        escort_host_id="P1",
    )
    badge = CredentialRecord(kind=CredentialKind.BADGE, ref=VISITOR_BADGE, person_id="V1")
    return ReplicaIndex(
        snapshot.model_copy(
            update={
                "persons": (*snapshot.persons, visitor),
                "credentials": (*snapshot.credentials, badge),
            }
        )
    )


def _away(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("API away", request=request)


def _decider(view: ReplicaView) -> PresentationDecider:
    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(_away),
    )
    return PresentationDecider(
        api=api, replica=lambda: view, face=None, clock=lambda: datetime.now(UTC)
    )


def _badge(number: str, lane: int) -> Presentation:
    return Presentation(
        lane=lane,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=datetime.now(UTC),
        started=time.monotonic(),
        badge_number=number,
    )


def _host(lane: int, seconds_ago: float) -> tuple[HostPresentation, ...]:
    at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return remember_presentation((), HostPresentation(person_id="P1", lane=lane, at=at))


@pytest.mark.parametrize(
    ("host", "granted"),
    [
        (None, False),  # alone
        ((1, 5), True),  # the host just before, same lane
        ((0, 5), False),  # the host at another lane
        ((1, 120), False),  # the host too long before (window 60 s)
    ],
)
def test_an_escorted_visitor_offline_needs_the_host_at_the_same_lane(
    host: tuple[int, float] | None, granted: bool
) -> None:
    # Built when the test runs, not at collection: the window counts from now.
    recent = () if host is None else _host(*host)
    view = ReplicaView(_index(), datetime.now(UTC), recent_presentations=recent)
    verdict = _decider(view).decide(_badge(VISITOR_BADGE, lane=1)).verdict
    assert verdict.decided_by is DecidedBy.REPLICA
    assert verdict.granted is granted
    if not granted:
        assert verdict.reason is ReasonCode.ESCORT_REQUIRED


def test_the_gate_remembers_recent_grants_boundedly() -> None:
    now = datetime.now(UTC)
    old = HostPresentation(person_id="P1", lane=0, at=now - timedelta(hours=2))
    recent: tuple[HostPresentation, ...] = (old,)
    for n in range(300):
        seen = HostPresentation(person_id=f"X{n}", lane=0, at=now + timedelta(seconds=n))
        recent = remember_presentation(recent, seen)
    assert old not in recent
    assert len(recent) == 256
    assert recent[-1].person_id == "X299"


def test_a_soft_anti_passback_grant_offline_is_flagged_on_its_event() -> None:
    passed = LastPassage(direction=Direction.ENTRY, at=datetime.now(UTC) - timedelta(minutes=1))
    view = ReplicaView(_index(AntiPassback.SOFT), datetime.now(UTC), last_passages={"P1": passed})
    decided = _decider(view).decide(_badge(GOOD_BADGE, lane=0))
    assert decided.verdict.granted and decided.verdict.anti_passback_violation
    story = Story(
        presentation=decided.presentation,
        verdict=decided.verdict,
        face=None,
        decision_ms=decided.decision_ms,
        decided_at=time.monotonic(),
        event_id="e1",
    )
    assert build_event(story, seq=1).anti_passback_violation is True
