"""The lane display's test gate: people whose presentations end in each kind of outcome.

One replica (`lane_snapshot`) with a person granted, a driver booked for later and one
whose one-time pass is spent (QR passes signed with a key the replica holds), a driver who
reads English holding two passes issued in languages of their own (Turkish, now; Polish,
later: issue 26.2), a missing
ISPS training, a watchlisted person, a banned one and one whose company's flag makes the
gate check their face; badges and passes to present them (`LANE_BADGES`, `lane_pass`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gate_protocol.messages import CredentialKind
from gate_protocol.passes.keys import encode_public_key, generate_pass_key
from gate_protocol.passes.token import PassClaims, PassSigner
from gate_protocol.records import (
    AccessGrant,
    AppointmentRecord,
    CompanyStanding,
    CompanyStatus,
    CompetencyHeld,
    CredentialRecord,
    PersonKind,
    PersonRecord,
    PortBanRecord,
    WatchlistAction,
    ZoneRules,
)
from gate_protocol.replica import FaceTemplateRecord, PassKeyRecord, ReplicaSnapshot
from testkit.agent.doubles import GATE, GOOD_BADGE, ZONE, make_snapshot

__all__ = ["LANE_BADGES", "LaneWorld", "lane_world"]

# Badge → who holds it (P1 is the doubles' good badge, granted by the API stub too).
LANE_BADGES = {
    "granted": GOOD_BADGE,
    "training": "7001",
    "watchlist": "7002",
    "banned": "7003",
    "face": "7004",
}


@dataclass(frozen=True)
class LaneWorld:
    """The replica and the QR passes of the lane tests (pass tokens are the QR texts)."""

    snapshot: ReplicaSnapshot
    later_pass: str  # the Polish driver's pass: their appointment opens in two hours
    used_pass: str  # a one-time pass already used
    opens_at: datetime
    # Sam reads English; his passes were issued in Turkish (valid now) and Polish (later).
    turkish_pass: str = ""
    polish_pass: str = ""


def _person(person_id: str, first_name: str, **extra: object) -> PersonRecord:
    fields: dict[str, object] = {
        "person_id": person_id,
        "kind": PersonKind.STAFF,
        "grants": (AccessGrant(zone_id=ZONE),),
        "competencies": (CompetencyHeld(name="ISPS"),),
        "first_name": first_name,
        **extra,
    }
    return PersonRecord.model_validate(fields)


def _persons(start: datetime) -> tuple[PersonRecord, ...]:
    """Who the lane tests present: one person per kind of outcome (P2 reads English)."""
    driver = {"kind": PersonKind.DRIVER, "grants": ()}
    return (
        _person("P1", "Anna"),
        _person("P2", "Sam", **driver),
        _person("P4", "Jan", language="pl", **driver),
        _person("P5", "Ayşe", language="tr", **driver),
        _person("P6", "Lukas", competencies=(CompetencyHeld(name="ISPS", valid_until=start),)),
        _person("P7", "Mark", watchlist=WatchlistAction.DENY),
        _person(
            "P8",
            "Olle",
            port_bans=(PortBanRecord(ban_id="B1", legal_reference="PA 7/2026", valid_from=start),),
        ),
        _person(
            "P9",
            "Ion",
            language="ro",
            company=CompanyStanding(name="Flagged BV", status=CompanyStatus.FLAGGED),
        ),
    )


def lane_world(template_b64: str, now: datetime | None = None) -> LaneWorld:
    """The lane tests' replica at `now` (the face person's template is `template_b64`)."""
    now = now or datetime.now(UTC)
    key_id, key = generate_pass_key()
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=5)
    opens = (now + timedelta(hours=2)).replace(second=0, microsecond=0)

    def signed(pass_id: str, holder: str) -> str:
        claims = PassClaims(
            pass_id=pass_id,
            holder_id=holder,
            gates=(GATE.upper(),),
            issued_at=start,
            not_before=start,
            expires_at=start + timedelta(days=1),
            one_time=True,
        )
        return PassSigner(key, key_id).issue(claims)

    persons = _persons(start)
    badge = CredentialKind.BADGE
    holders = {"training": "P6", "watchlist": "P7", "banned": "P8", "face": "P9"}
    credentials = tuple(
        CredentialRecord(kind=badge, ref=LANE_BADGES[what], person_id=person)
        for what, person in {"granted": "P1", **holders}.items()
    )

    def booked(appointment: str, person: str, pass_id: str, **extra: object) -> AppointmentRecord:
        fields: dict[str, object] = {
            "appointment_id": appointment,
            "person_id": person,
            "pass_id": pass_id,
            "gates": frozenset({GATE}),
            "window_start": start,
            "window_end": start + timedelta(hours=8),
            **extra,
        }
        return AppointmentRecord.model_validate(fields)

    later = {"window_start": opens, "window_end": opens + timedelta(hours=1)}
    snapshot = make_snapshot().model_copy(
        update={
            "zone": ZoneRules(zone_id=ZONE, required_competencies=("ISPS",)),
            "persons": persons,
            "credentials": credentials,
            "appointments": (
                booked("A4", "P4", "PASS4", **later),
                booked("A5", "P5", "PASS5", used=True),
                booked("A2", "P2", "PASS2", language="tr"),
                booked("A3", "P2", "PASS3", language="pl", **later),
            ),
            "pass_keys": (
                PassKeyRecord(key_id=key_id, public_key_b64=encode_public_key(key.public_key())),
            ),
            "templates": (
                FaceTemplateRecord(template_id="T9", person_id="P9", encoding_b64=template_b64),
            ),
        }
    )
    return LaneWorld(
        snapshot=snapshot,
        later_pass=signed("PASS4", "P4"),
        used_pass=signed("PASS5", "P5"),
        opens_at=opens,
        turkish_pass=signed("PASS2", "P2"),
        polish_pass=signed("PASS3", "P2"),
    )
