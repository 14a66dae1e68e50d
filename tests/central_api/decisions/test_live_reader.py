"""The event loop's live-state reader on PostgreSQL: batched reads answer as single reads."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.decisions.live_reader import LiveReader, conninfo_of
from central_api.decisions.live_state import LiveState, read_live_state
from gate_protocol.messages import Decision, Direction
from gate_protocol.reasons import ReasonCode
from testkit.api.decisions import enroll
from testkit.api.world import World, make_event
from testkit.mosquitto import free_port

on_postgres = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)

Ask = dict[str, object]


def _store_passages(client: TestClient, world: World, people: list[str], now: datetime) -> None:
    """Each person a different last-passage story through the world's zone."""
    ago = lambda seconds: now - timedelta(seconds=seconds)  # noqa: E731
    events = [
        make_event(1, person_id=people[0], occurred_at=ago(60), passed=True),
        make_event(2, person_id=people[0], occurred_at=ago(30), direction=Direction.EXIT),
        # A grant not used does not count; the older used one does.
        make_event(3, person_id=people[1], occurred_at=ago(20), passed=False),
        make_event(4, person_id=people[1], occurred_at=ago(90), passed=True),
        # After the decision's time: not its past.
        make_event(5, person_id=people[2], occurred_at=now + timedelta(seconds=60)),
        make_event(
            6,
            person_id=people[3],
            occurred_at=ago(10),
            decision=Decision.DENIED,
            reason=ReasonCode.ZONE_NOT_ALLOWED,
        ),
    ]
    stored = client.post(
        "/api/v1/events",
        json={"events": [e.model_dump(mode="json") for e in events]},
        headers=world.gate_key(world.gate2),
    )
    assert stored.status_code == 200, stored.text


def _asks(client: TestClient, world: World, engine: Engine) -> list[Ask]:
    people = [enroll(engine, world, badge=f"7A{i}") for i in range(5)]
    now = datetime.now(UTC)
    _store_passages(client, world, people, now)
    asks: list[Ask] = [
        {"site_id": world.site, "person_id": p, "zone_id": world.zone, "before": now}
        for p in people
    ]
    asks.append({"site_id": world.site, "person_id": None, "zone_id": world.zone, "before": now})
    asks.append(
        {"site_id": world.other_site, "person_id": people[0], "zone_id": "ams-quay", "before": now}
    )
    return asks


def _expected(engine: Engine, asks: list[Ask]) -> list[LiveState]:
    """What the single read through SQLAlchemy answers for each ask."""
    with Session(engine) as session:
        return [read_live_state(session=session, **ask) for ask in asks]  # type: ignore[arg-type]


async def _read_together(reader: LiveReader, asks: list[Ask]) -> list[LiveState | None]:
    try:
        return await asyncio.gather(*(reader.read(**ask) for ask in asks))  # type: ignore[arg-type]
    finally:
        await reader.close()


@on_postgres
def test_reads_asked_together_go_out_as_one_statement_and_answer_as_single_reads(
    client: TestClient, world: World, engine: Engine
) -> None:
    asks = _asks(client, world, engine)
    expected = _expected(engine, asks)
    # The stories differ: entry, exit, an older used grant, none at all.
    lasts = [state.last for state in expected]
    assert lasts[0] is not None and lasts[0].direction is Direction.EXIT
    assert lasts[1] is not None and lasts[1].direction is Direction.ENTRY
    assert lasts[2] is None and lasts[3] is None and lasts[5] is None

    reader = LiveReader(conninfo_of(engine), size=1)
    answers = asyncio.run(_read_together(reader, asks * 3))

    assert answers == expected * 3
    assert (reader.reads, reader.failures, reader.batches) == (len(asks) * 3, 0, 1)


@on_postgres
def test_a_batch_never_exceeds_its_limit(client: TestClient, world: World, engine: Engine) -> None:
    asks = _asks(client, world, engine) * 3  # 21 reads
    reader = LiveReader(conninfo_of(engine), size=2, max_batch=5)
    answers = asyncio.run(_read_together(reader, asks))
    assert answers == _expected(engine, asks)
    assert reader.batches == 5  # 5 + 5 + 5 + 5 + 1


@on_postgres
def test_reads_awaited_one_by_one_each_go_out_at_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    asks = _asks(client, world, engine)

    async def one_by_one(reader: LiveReader) -> list[LiveState | None]:
        try:
            return [await reader.read(**ask) for ask in asks]  # type: ignore[arg-type]
        finally:
            await reader.close()

    reader = LiveReader(conninfo_of(engine))
    assert asyncio.run(one_by_one(reader)) == _expected(engine, asks)
    assert reader.batches == len(asks)


@on_postgres
def test_an_unknown_site_is_answered_none_and_is_no_failure(
    client: TestClient, world: World, engine: Engine
) -> None:
    now = datetime.now(UTC)
    unknown: Ask = {"site_id": "nowhere", "person_id": None, "zone_id": "z", "before": now}
    known: Ask = {"site_id": world.site, "person_id": None, "zone_id": world.zone, "before": now}
    reader = LiveReader(conninfo_of(engine))
    answers = asyncio.run(_read_together(reader, [unknown, known]))
    assert answers[0] is None and answers[1] == _expected(engine, [known])[0]
    assert (reader.reads, reader.failures) == (1, 0)


def test_a_database_out_of_reach_answers_none_to_every_waiting_read_then_rests() -> None:
    unreachable = f"host=127.0.0.1 port={free_port()} dbname=none user=none connect_timeout=1"
    now = datetime.now(UTC)
    ask: Ask = {"site_id": "s", "person_id": None, "zone_id": "z", "before": now}

    async def twice(reader: LiveReader) -> tuple[list[LiveState | None], LiveState | None]:
        first = await asyncio.gather(*(reader.read(**ask) for _ in range(4)))  # type: ignore[arg-type]
        return first, await reader.read(**ask)  # type: ignore[arg-type]

    reader = LiveReader(unreachable, rest_s=60.0)
    first, resting = asyncio.run(twice(reader))
    assert first == [None] * 4 and resting is None
    # The four waiting reads failed together; the one asked while resting never tried.
    assert (reader.reads, reader.failures, reader.batches) == (0, 4, 0)


def test_closing_answers_the_reads_still_waiting_at_once() -> None:
    ask: Ask = {"site_id": "s", "person_id": None, "zone_id": "z", "before": datetime.now(UTC)}
    # Nothing may connect: a read that reached a connection would fail differently (rest).
    reader = LiveReader(f"host=127.0.0.1 port={free_port()} dbname=none user=none")

    async def close_while_waiting() -> list[LiveState | None]:
        reads = [asyncio.create_task(reader.read(**ask)) for _ in range(3)]  # type: ignore[arg-type]
        await asyncio.sleep(0)  # each read is asked; its batch has not gone out
        await reader.close()
        return await asyncio.wait_for(asyncio.gather(*reads), timeout=0.5)

    assert asyncio.run(close_while_waiting()) == [None] * 3
    assert (reader.failures, reader.batches) == (3, 0)
