"""The live feed: what this process's ingest receives becomes tiles and stream items."""

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy import event as sql_event

from central_api.dashboard.feed import LiveFeed
from central_api.dashboard.hub import LiveHub, LiveItem
from central_api.dashboard.state import DashboardState
from central_api.db import utc_now
from central_api.models import Role
from gate_protocol.api_models import AlarmBatch, EventBatch
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    AlarmRaised,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    DoorState,
    GateState,
    NodeState,
    NodeStatus,
    encode_message,
    new_id,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from testkit.api.dashboard import capture_live_items
from testkit.api.decisions import enroll
from testkit.api.world import World


def topic(world: World, channel: GateChannel, node: NodeKind | None = None, **kw: str) -> str:
    return build_topic(
        GateTopic(
            site=kw.get("site", world.site),
            gate=kw.get("gate", world.gate),
            channel=channel,
            node=node,
        )
    )


def event(**changes: Any) -> AccessEvent:
    fields: dict[str, Any] = {
        "event_id": new_id(),
        "agent_seq": 3,
        "occurred_at": utc_now(),
        "lane": 1,
        "direction": Direction.ENTRY,
        "decision": Decision.DENIED,
        "reason": ReasonCode.COMPETENCY_EXPIRED,
        "reason_detail": "ISPS",
        "credential_kind": CredentialKind.QR_PASS,
        "decided_by": DecidedBy.REPLICA,
        "face_score": 0.42,
    }
    fields.update(changes)
    return AccessEvent(**fields)


@pytest.fixture
def captured(app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[LiveItem]:
    return capture_live_items(app, monkeypatch)


def channels(items: list[LiveItem]) -> list[str]:
    return [item.channel for item in items]


def test_ingest_hands_every_message_to_the_live_feed(
    app: FastAPI, world: World, captured: list[LiveItem]
) -> None:
    live: DashboardState = app.state.dashboard
    message = event()
    app.state.ingest.enqueue(topic(world, GateChannel.EVENT), encode_message(message))
    assert app.state.ingest.wait_idle(5.0)  # stored first, then handed to the feed
    assert live.feed.wait_idle(5.0)
    assert channels(captured) == ["event", "gate"]
    data = json.loads(captured[0].text)
    assert data["event_id"] == message.event_id and data["gate_id"] == world.gate
    assert data["reason_text"] == "A required competency is missing or expired: ISPS."
    assert data["decided_by"] == "replica" and data["face_score"] == 0.42
    tile = json.loads(captured[1].text)
    assert tile["events_per_minute"] == 1 and tile["last_event"]["event_id"] == message.event_id


def post_events(client: TestClient, world: World, *events: AccessEvent) -> dict[str, int]:
    answer = client.post(
        "/api/v1/events",
        content=EventBatch(events=events).model_dump_json(),
        headers={**world.gate_key(), "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, int] = answer.json()
    return result


def test_an_event_a_gate_sends_over_http_reaches_the_live_feed_once(
    app: FastAPI, world: World, client: TestClient, captured: list[LiveItem]
) -> None:
    # The event never touched MQTT: the agent replayed it over HTTP.
    live: DashboardState = app.state.dashboard
    message = event()
    assert post_events(client, world, message) == {"stored": 1, "duplicates": 0}
    assert live.feed.wait_idle(5.0)
    assert channels(captured) == ["event", "gate"]
    data = json.loads(captured[0].text)
    assert data["event_id"] == message.event_id and data["gate_id"] == world.gate
    assert data["site_id"] == world.site and data["decided_by"] == "replica"
    # Sent again (the agent never heard the answer): stored before, so nothing new to show.
    assert post_events(client, world, message) == {"stored": 0, "duplicates": 1}
    assert live.feed.wait_idle(5.0)
    assert channels(captured) == ["event", "gate"]


def test_an_alarm_a_gate_sends_over_http_is_streamed_once(
    app: FastAPI, world: World, client: TestClient, captured: list[LiveItem]
) -> None:
    # Told twice in this process (its site notice and ingest's tap): one stream item.
    live: DashboardState = app.state.dashboard
    alarm = AlarmRaised(alarm_id=new_id(), alarm=AlarmKind.WATCHLIST, lane=1, at=utc_now())
    answer = client.post(
        "/api/v1/alarms",
        content=AlarmBatch(alarms=(alarm,)).model_dump_json(),
        headers={**world.gate_key(), "Content-Type": "application/json"},
    )
    assert answer.status_code == 200 and answer.json() == {"stored": 1, "duplicates": 0}
    assert live.feed.wait_idle(5.0)
    assert channels(captured) == ["alarm"]
    assert json.loads(captured[0].text)["alarm_id"] == alarm.alarm_id


def test_an_event_mqtt_redelivers_after_it_was_stored_is_not_handed_again(
    app: FastAPI, world: World, captured: list[LiveItem]
) -> None:
    live: DashboardState = app.state.dashboard
    payload = encode_message(event())
    for _ in range(2):  # the second one after the first was stored and shown
        app.state.ingest.enqueue(topic(world, GateChannel.EVENT), payload)
        assert app.state.ingest.wait_idle(5.0)
        assert live.feed.wait_idle(5.0)
    assert channels(captured) == ["event", "gate"]
    assert live.feed.handled == 1  # the feed was not even asked about the duplicate


def test_with_no_browser_watching_the_board_keeps_up_and_nothing_is_built(
    app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every API worker receives every gate message; most of the time nobody watches it.
    live: DashboardState = app.state.dashboard
    built: list[LiveItem] = []
    monkeypatch.setattr(live.hub, "publish", built.append)
    message = event()
    live.feed.handle(topic(world, GateChannel.EVENT), encode_message(message))
    assert built == []
    tile = live.board.tile(world.gate)
    assert tile["events_per_minute"] == 1 and tile["last_event"]["event_id"] == message.event_id


def test_duplicates_unknown_gates_and_bad_payloads_publish_nothing(
    app: FastAPI, world: World, captured: list[LiveItem]
) -> None:
    feed: LiveFeed = app.state.dashboard.feed
    message = encode_message(event())
    feed.handle(topic(world, GateChannel.EVENT), message)
    feed.handle(topic(world, GateChannel.EVENT), message)  # at-least-once redelivery
    feed.handle(topic(world, GateChannel.EVENT, gate="nope"), encode_message(event()))
    feed.handle(topic(world, GateChannel.EVENT, site=world.other_site), encode_message(event()))
    feed.handle(topic(world, GateChannel.EVENT), b"{not json")
    feed.handle(topic(world, GateChannel.EVENT), encode_message(_status(NodeState.ONLINE)))
    feed.handle("portgate/v1/x/sync", b"{}")
    feed.handle("elsewhere/topic", b"{}")
    assert channels(captured) == ["event", "gate"]


def test_a_batch_names_its_people_in_one_query_and_skips_what_it_cannot_decode(
    app: FastAPI, world: World, engine: Engine, captured: list[LiveItem]
) -> None:
    feed: LiveFeed = app.state.dashboard.feed
    people = [enroll(engine, world, badge=f"7F{i}") for i in range(3)]
    batch = [(topic(world, GateChannel.EVENT), encode_message(event(person_id=p))) for p in people]
    batch.insert(1, (topic(world, GateChannel.EVENT), b"{not json"))
    batch.append((topic(world, GateChannel.EVENT), encode_message(event(person_id="unknown"))))
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    sql_event.listen(engine, "before_cursor_execute", record)
    try:
        feed.handle_batch(batch)
        feed.handle_batch(batch[:1])  # named a moment ago: not looked up again
    finally:
        sql_event.remove(engine, "before_cursor_execute", record)
    assert sum("FROM person" in s for s in statements) == 1
    views = [json.loads(i.text) for i in captured if i.channel == "event"]
    assert [v["person_name"] for v in views] == [f"Person 7F{i}" for i in range(3)] + [None]


def _status(state: NodeState, seconds: int = 0) -> NodeStatus:
    return NodeStatus(
        node=NodeKind.AGENT,
        state=state,
        version="1.2",
        replica_version=4,
        since=utc_now() + timedelta(seconds=seconds),
    )


def test_status_last_will_and_door_state_update_the_tile(
    app: FastAPI, world: World, captured: list[LiveItem], client: TestClient
) -> None:
    feed: LiveFeed = app.state.dashboard.feed
    status_topic = topic(world, GateChannel.STATUS, NodeKind.AGENT)
    feed.handle(status_topic, encode_message(_status(NodeState.ONLINE)))
    feed.handle(
        topic(world, GateChannel.STATE),
        encode_message(GateState(door=DoorState.FORCED, tamper=True, at=utc_now())),
    )
    # The last will was composed at connect time: older than the "online" it replaces.
    feed.handle(status_topic, encode_message(_status(NodeState.OFFLINE, seconds=-5)))
    assert channels(captured) == ["gate", "gate", "gate"]
    tiles = client.get("/dashboard/api/gates", headers=world.user(Role.OPERATOR)).json()
    tile = next(t for t in tiles if t["gate_id"] == world.gate)
    assert tile["online"] is False and tile["agent"]["state"] == "offline"
    assert tile["door"] == "forced" and tile["tamper"] is True
    assert tile["agent"]["replica_version"] == 4


def test_alarms_are_streamed_once(app: FastAPI, world: World, captured: list[LiveItem]) -> None:
    feed: LiveFeed = app.state.dashboard.feed
    alarm = AlarmRaised(alarm_id=new_id(), alarm=AlarmKind.TAILGATING, lane=0, at=utc_now())
    feed.handle(topic(world, GateChannel.ALARM), encode_message(alarm))
    feed.handle(topic(world, GateChannel.ALARM), encode_message(alarm))
    assert channels(captured) == ["alarm"]
    assert '"kind":"tailgating"' in captured[0].text


def test_offer_never_blocks_the_ingest_thread(engine: Engine) -> None:
    release = threading.Event()

    class StuckFeed(LiveFeed):
        def handle_batch(self, items: list[tuple[str, bytes]]) -> None:
            release.wait(10)

    feed = StuckFeed(
        engine=engine, hub=LiveHub(), board=DashboardState.create(engine=engine).board, maxsize=3
    )
    for _ in range(50):
        feed.offer("t", b"x")
    # The worker may hold one drained batch (up to maxsize) while stuck, plus maxsize queued.
    assert feed.dropped >= 50 - 2 * 3
    release.set()
    assert feed.wait_idle(5.0)
    feed.stop()
