"""GET /api/v1/events/search: every filter against the raw rows, keyset pages, bad input."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from central_api.config import Settings
from central_api.models import Role
from gate_protocol.messages import CredentialKind, DecidedBy, Decision
from gate_protocol.reasons import ReasonCode
from testkit.api.dashboard import add_person
from testkit.api.dashboard_sites import add_user, headers_of
from testkit.api.event_rows import count_events, event_row, insert_rows
from testkit.api.world import World

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SEARCH = "/api/v1/events/search"


def seed(world: World, engine: Engine) -> list[dict[str, Any]]:
    """Seven events at two sites; returns their rows (the raw truth the answers must match)."""
    ana = add_person(engine, world.site, "Ana Costa", "Quay Movers")
    ben = add_person(engine, world.site, "Ben_Ode 100%", "Harbour Haulage")
    denied = {"decision": Decision.DENIED}
    specs: list[tuple[str, str, dict[str, Any]]] = [
        (world.site, world.gate, {"person_id": ana}),
        (
            world.site,
            world.gate,
            {
                **denied,
                "reason": ReasonCode.FACE_MISMATCH,
                "person_id": ben,
                "credential_kind": CredentialKind.FACE,
                "decided_by": DecidedBy.REPLICA,
            },
        ),
        (world.site, world.gate2, {**denied, "reason": ReasonCode.FACE_MISMATCH, "person_id": ana}),
        (
            world.site,
            world.gate2,
            {**denied, "reason": ReasonCode.REVOKED, "credential_kind": CredentialKind.QR_PASS},
        ),
        (world.other_site, world.other_gate, {**denied, "reason": ReasonCode.FACE_MISMATCH}),
        (world.site, world.gate, {"person_id": ben}),
        # Same instant as the one before: the id breaks the tie in the keyset order.
        (world.site, world.gate2, {"person_id": ben, "minute": 5}),
    ]
    rows = []
    for n, (site, gate, fields) in enumerate(specs):
        minute = fields.pop("minute", n)
        rows.append(event_row(n, site=site, gate=gate, at=T0 + timedelta(minutes=minute), **fields))
    insert_rows(engine, rows)
    return rows


def newest_first(rows: list[dict[str, Any]]) -> list[str]:
    """Event ids newest first, ties broken by insertion order (the id), newest first."""
    ordered = sorted(enumerate(rows), key=lambda pair: (pair[1]["occurred_at"], pair[0]))
    return [row["event_id"] for _, row in reversed(ordered)]


def ids(client: TestClient, headers: dict[str, str], query: str) -> list[str]:
    answer = client.get(f"{SEARCH}?{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    return [item["event_id"] for item in answer.json()["items"]]


def test_every_filter_matches_the_raw_rows(
    client: TestClient, world: World, engine: Engine
) -> None:
    rows = seed(world, engine)
    ana, ben = rows[0]["person_id"], rows[1]["person_id"]
    headers = world.user(Role.OPERATOR)
    cases: list[tuple[str, Any]] = [
        ("", lambda r: True),
        (f"gate={world.gate2}", lambda r: r["gate_id"] == world.gate2),
        (f"site={world.other_site}", lambda r: r["site_id"] == world.other_site),
        ("zone=ams-quay", lambda r: r["site_id"] == world.other_site),
        ("reason=face_mismatch", lambda r: r["reason"] == ReasonCode.FACE_MISMATCH),
        ("decision=granted", lambda r: r["decision"] == Decision.GRANTED),
        (f"person={ana}", lambda r: r["person_id"] == ana),
        ("person=_ode", lambda r: r["person_id"] == ben),  # LIKE wildcards are literal
        ("company=harbour", lambda r: r["person_id"] == ben),
        ("credential_kind=qr_pass", lambda r: r["credential_kind"] == CredentialKind.QR_PASS),
        ("decided_by=replica", lambda r: r["decided_by"] == DecidedBy.REPLICA),
        (
            "from=2026-11-22T08:02:00Z&to=2026-11-22T10:05:00%2B02:00",
            lambda r: T0 + timedelta(minutes=2) <= r["occurred_at"] < T0 + timedelta(minutes=5),
        ),
        (
            f"reason=face_mismatch&gate={world.gate}&from=2026-11-22T08:00:00Z",
            lambda r: r["reason"] == ReasonCode.FACE_MISMATCH and r["gate_id"] == world.gate,
        ),
    ]
    for query, keep in cases:
        expected = newest_first([r for r in rows if keep(r)])
        assert ids(client, headers, query) == expected, query
    item = client.get(f"{SEARCH}?person=ben", headers=headers).json()["items"][0]
    assert item["person_name"] == "Ben_Ode 100%" and item["company"] == "Harbour Haulage"
    assert "credential_ref" not in item


def test_pages_follow_the_cursor_without_repeats_while_rows_arrive(
    client: TestClient, world: World, engine: Engine
) -> None:
    rows = seed(world, engine)
    headers = world.user(Role.AUTHORITY)
    seen: list[str] = []
    cursor = ""
    sizes = []
    while True:
        answer = client.get(f"{SEARCH}?limit=3&cursor={cursor}", headers=headers).json()
        seen += [item["event_id"] for item in answer["items"]]
        sizes.append(len(answer["items"]))
        if answer["next_cursor"] is None:
            break
        cursor = answer["next_cursor"]
        if len(sizes) == 1:
            # Stored between two pages: a newer event and one from a gate that was offline.
            insert_rows(
                engine,
                [
                    event_row(100, site=world.site, gate=world.gate, at=T0 + timedelta(hours=1)),
                    event_row(101, site=world.site, gate=world.gate, at=T0 - timedelta(hours=1)),
                ],
            )
    assert sizes == [3, 3, 2]
    # Every row there was at the start, once, in order; the late row of the past at the end.
    assert seen == [*newest_first(rows), f"bulk-{world.site}-101"]


def test_an_operator_sees_their_own_site_only(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    rows = seed(world, engine)
    operator = headers_of(settings, add_user(engine, "op-rtm", Role.OPERATOR, world.site))
    here = newest_first([r for r in rows if r["site_id"] == world.site])
    assert ids(client, operator, "") == here
    assert ids(client, operator, f"site={world.site}") == here
    refused = client.get(f"{SEARCH}?site={world.other_site}", headers=operator)
    assert refused.status_code == 403
    assert f"you see site {world.site} only" in refused.json()["detail"]
    assert ids(client, operator, f"gate={world.other_gate}") == []
    assert client.get(SEARCH, headers=world.user(Role.SECURITY_DESK)).status_code == 403


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("reason=door_ajar", "unknown reason 'door_ajar'"),
        ("from=2026-11-22T09:00:00Z&to=2026-11-22T08:00:00Z", "is after to"),
        ("from=2026-11-22T09:00:00", "must carry a time zone"),
        ("from=yesterday", "not an ISO 8601 time"),
        ("cursor=not-a-cursor", "malformed cursor"),
        ("cursor=eyJhdCI6MX0", "malformed cursor"),
        ("limit=10000", "less than or equal to 500"),
        ("limit=0", "greater than or equal to 1"),
        ("decision=maybe", "unknown decision 'maybe'"),
        ("gate=a/b", "is not an id"),
        ("gates=north-1", "gates"),
    ],
)
def test_bad_input_is_a_clear_422_and_changes_nothing(
    client: TestClient, world: World, engine: Engine, query: str, says: str
) -> None:
    seed(world, engine)
    with engine.connect() as conn:
        audit_before = conn.execute(text("SELECT count(*) FROM audit_entry")).scalar_one()
    answer = client.get(f"{SEARCH}?{query}", headers=world.user(Role.OPERATOR))
    assert answer.status_code == 422
    assert says in answer.text
    assert count_events(engine) == 7
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() == audit_before
