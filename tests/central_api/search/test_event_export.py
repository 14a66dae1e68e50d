"""GET /api/v1/events/export.csv: the filters, defused cells, site scope, oldest first."""

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central_api.config import Settings
from central_api.models import Role
from central_api.search.export import EXPORT_HEADER
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from testkit.api.dashboard import add_person
from testkit.api.dashboard_sites import add_user, headers_of
from testkit.api.event_rows import event_row, insert_rows
from testkit.api.world import World

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
EXPORT = "/api/v1/events/export.csv"


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_export_writes_matching_rows_oldest_first_with_formulas_defused(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    evil = add_person(engine, world.site, '=HYPERLINK("http://x")', "+Evil Ltd")
    denied = {"decision": Decision.DENIED, "reason": ReasonCode.COMPETENCY_EXPIRED}
    insert_rows(
        engine,
        [
            event_row(0, site=world.site, gate=world.gate, at=T0, person_id=evil, **denied),
            event_row(1, site=world.site, gate=world.gate2, at=T0, **denied),
            event_row(2, site=world.site, gate=world.gate, at=T0 + timedelta(minutes=1)),
            event_row(3, site=world.site, gate=world.gate, at=T0 - timedelta(minutes=1), **denied),
            event_row(4, site=world.other_site, gate=world.other_gate, at=T0, **denied),
        ],
    )
    query = f"reason=competency_expired&gate={world.gate}"
    answer = client.get(f"{EXPORT}?{query}", headers=world.user(Role.OPERATOR))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="events-' in answer.headers["content-disposition"]
    table = read_csv(answer.text)
    assert tuple(table[0]) == EXPORT_HEADER
    column = {name: i for i, name in enumerate(EXPORT_HEADER)}
    assert [row[column["event_id"]] for row in table[1:]] == [
        f"bulk-{world.site}-3",
        f"bulk-{world.site}-0",
    ]
    row = table[2]
    assert row[column["person_name"]] == '\'=HYPERLINK("http://x")'
    assert row[column["company"]] == "'+Evil Ltd"
    assert row[column["occurred_at"]] == T0.isoformat()
    assert row[column["reason_text"]].startswith("A required competency")
    # A site-bound operator exports their own site's rows only; naming another is refused.
    operator = headers_of(settings, add_user(engine, "op-rtm", Role.OPERATOR, world.site))
    mine = read_csv(client.get(f"{EXPORT}?reason=competency_expired", headers=operator).text)
    assert {row[column["site_id"]] for row in mine[1:]} == {world.site}
    assert len(mine) == 1 + 3
    refused = client.get(f"{EXPORT}?site={world.other_site}", headers=operator)
    assert refused.status_code == 403


def test_bad_export_input_is_refused_before_any_row(client: TestClient, world: World) -> None:
    headers = world.user(Role.OPERATOR)
    for query, says in (
        ("reason=door_ajar", "unknown reason 'door_ajar'"),
        ("from=2026-11-22T09:00:00Z&to=2026-11-22T08:00:00Z", "is after to"),
        ("limit=10", "limit"),
    ):
        answer = client.get(f"{EXPORT}?{query}", headers=headers)
        assert answer.status_code == 422 and says in answer.text, query
        assert not answer.headers["content-type"].startswith("text/csv")
