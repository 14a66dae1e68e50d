"""A gate agent's loop on fakes: a recording bus, recording workers, an API that is away."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from gate_agent.app import build_loop
from gate_agent.decision.decider import PresentationDecided, ReplicaView
from gate_agent.decision.presentation import Presentation, Verdict
from gate_agent.links.api_client import ApiClient
from gate_agent.links.bus import MqttConnected
from gate_agent.loop.agent import GateAgent
from gate_agent.loop.inbox import InboxItem
from gate_agent.outbox.confirm import ConfirmJob
from gate_agent.outbox.sender import OutboxSender, UploadApi
from gate_agent.outbox.store import Outbox
from gate_agent.stills.taker import AgentStills
from gate_protocol.messages import (
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import GateChannel
from testkit.agent.doubles import GATE_KEY, agent_config, topic


class FakeBus:
    """An MQTT link that records publishes (and how many drafts existed at each open)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.published: list[tuple[str, bytes]] = []
        self.drafts_at_open: list[int] = []
        self.subscriptions: list[str] = []

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Record the publish; returns its message number."""
        if topic.endswith("cmd/open"):
            self.drafts_at_open.append(len(self.outbox.drafts()))
        self.published.append((topic, payload))
        return len(self.published)

    def subscribe(self, topics: list[str]) -> None:
        """Record the topics."""
        self.subscriptions.extend(topics)

    def on(self, channel: GateChannel) -> list[bytes]:
        """The payloads published on the test gate's `channel`."""
        return [p for t, p in self.published if t == topic(channel)]


class FakeWorkers:
    """Decision, sync and confirm workers that only record what they were given."""

    def __init__(self) -> None:
        self.submitted: list[Presentation] = []
        self.syncs = 0
        self.confirms: list[ConfirmJob] = []

    def submit(self, presentation: Presentation) -> bool:
        """Record the presentation and accept it."""
        self.submitted.append(presentation)
        return True

    def request_sync(self) -> None:
        """Count the sync request."""
        self.syncs += 1

    def confirm(self, job: ConfirmJob) -> bool:
        """Record the confirm job and accept it."""
        self.confirms.append(job)
        return True


def build(
    tmp_path: Path,
    *,
    max_unsent: int = 100,
    calls: list[str] | None = None,
    workers: FakeWorkers | None = None,
    confirm_interval_s: float = 5.0,
    alarm_api: UploadApi | None = None,
    stills: Callable[[FakeBus], AgentStills] | None = None,
) -> tuple[GateAgent, Outbox, FakeBus]:
    """A gate agent's loop, wired by `build_loop`, on fakes.

    A real outbox under `tmp_path`, a FakeBus and an API that answers 503.
    """
    config = agent_config(
        tmp_path,
        mqtt_port=1,
        api_url="http://api.test",
        api={"confirm_interval_s": confirm_interval_s},
    )
    outbox = Outbox(tmp_path / "o.db", max_unsent=max_unsent)
    bus = FakeBus(outbox)

    def away(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request.url.path)
        return httpx.Response(503)

    api = ApiClient(
        base_url="http://api.test",
        gate="g1",
        gate_key=GATE_KEY,
        decision_timeout_s=0.3,
        transport=httpx.MockTransport(away),
    )
    sender = OutboxSender(
        rows=outbox.events,
        publisher=bus,
        topic=topic(GateChannel.EVENT),
        window=10,
        api=api,
        batch_size=10,
        confirm_grace_s=0.0,
    )
    inbox: queue.Queue[InboxItem] = queue.Queue()
    agent = build_loop(
        config=config,
        bus=bus,
        outbox=outbox,
        events=sender,
        workers=workers or FakeWorkers(),
        replica=ReplicaView(None, None),
        inbox=inbox,
        alarms=OutboxSender(
            rows=outbox.alarms,
            publisher=bus,
            topic=topic(GateChannel.ALARM),
            api=alarm_api,
            batch_size=10,
            confirm_grace_s=0.0,
        ),
        stills=stills(bus) if stills is not None else None,
    )
    agent.handle(MqttConnected(session_present=False))
    return agent, outbox, bus


def decided(decision: Decision) -> PresentationDecided:
    """A badge presentation decided centrally with `decision` (granted or revoked)."""
    presentation = Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=datetime.now(UTC),
        started=time.monotonic(),
        badge_number="1234",
    )
    reason = ReasonCode.GRANTED if decision is Decision.GRANTED else ReasonCode.REVOKED
    return PresentationDecided(
        presentation, Verdict(decision, reason, DecidedBy.CENTRAL, person_id="P1"), None, 3.0
    )
