"""A port of sites and gates whose replicas follow the API, to time how far a port ban reaches.

Each gate is a stand-in that runs the agent's own replica sync: its own broker connection
subscribed to its site's retained `SyncNotice` (the callback only enqueues), then
`gate_agent.decision.replica_store.sync_replica` through the agent's `ApiClient` with the
gate's own key, exactly as a gate agent does on a notice; what is left out of a full agent
(camera, face, bridge, outbox) plays no part in a replica sync. Shared by the test
(tests/integration/test_port_ban_reach.py) and the benchmark (bench/bench_port_bans.py).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.audit.chain import ensure_audit_head
from central_api.crud.activations import activate_person
from central_api.crud.people import add_credential, add_to_group, create_person
from central_api.crud.rules import create_access_group
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.models import (
    AccessGroupCreate,
    CredentialCreate,
    GateCreate,
    PersonCreate,
    SiteCreate,
    ZoneCreate,
)
from central_api.models.identity import SiteActivationCreate
from gate_agent.decision.replica_store import sync_replica
from gate_agent.links.api_client import ApiClient
from gate_protocol.messages import BadgeFormat, CredentialKind, SyncNotice, decode_message
from gate_protocol.mqtt_connection import MqttConnection, build_client
from gate_protocol.records import PersonKind
from gate_protocol.replica import ReplicaSnapshot
from gate_protocol.topics import SyncTopic, build_topic

__all__ = ["GateStandIn", "PortSeed", "StandInFleet", "holds_ban", "seed_port"]

_ACTOR = "bench:port"
_RETRY_S = 0.5


@dataclass
class PortSeed:
    """The sites, each gate's site and key, and the one person who may pass at every site."""

    sites: list[str] = field(default_factory=list)
    gate_sites: dict[str, str] = field(default_factory=dict)
    gate_keys: dict[str, str] = field(default_factory=dict, repr=False)
    port_person: str = ""
    port_badge: str = "65000"


def seed_port(*, engine: Engine, sites: int, gates_per_site: int, people_per_site: int) -> PortSeed:
    """Sites ``s01..`` with gates ``s01-g01..`` and people; one person passes at every site.

    That person is enrolled at the first site and activated at every other one with its
    access group (one identity, many terminals), so the replicas of all sites hold them
    and a ban on them must reach every gate.
    """
    ensure_audit_head(engine=engine)
    seed = PortSeed()
    groups: list[int] = []
    with Session(engine, expire_on_commit=False) as session:
        for s in range(1, sites + 1):
            site = f"s{s:02d}"
            seed.sites.append(site)
            create_site(session=session, site_create=SiteCreate(id=site, name=site), actor=_ACTOR)
            zone = f"{site}-quay"
            create_zone(
                session=session,
                zone_create=ZoneCreate(id=zone, site_id=site, name="quay"),
                actor=_ACTOR,
            )
            for g in range(1, gates_per_site + 1):
                gate = f"{site}-g{g:02d}"
                _, seed.gate_keys[gate] = create_gate(
                    session=session,
                    gate_create=GateCreate(
                        id=gate, site_id=site, zone_id=zone, face_required=False
                    ),
                    actor=_ACTOR,
                )
                seed.gate_sites[gate] = site
            group = create_access_group(
                session=session,
                group_create=AccessGroupCreate(name=f"{site}-all", site_id=site, zone_ids=[zone]),
                actor=_ACTOR,
            )
            assert group.id is not None  # noqa: S101 (committed)
            groups.append(group.id)
            for p in range(people_per_site):
                _person(session, site, group.id, f"{s:02d}{p:03d}", f"Worker {site}-{p}")
        seed.port_person = _person(session, seed.sites[0], groups[0], seed.port_badge, "Port")
        for site, group_id in zip(seed.sites[1:], groups[1:], strict=True):
            activate_person(
                session=session,
                person_id=seed.port_person,
                activation=SiteActivationCreate(site_id=site, access_groups=[str(group_id)]),
                user_site=None,
                actor=_ACTOR,
            )
    return seed


def _person(session: Session, site: str, group_id: int, badge: str, name: str) -> str:
    person = create_person(
        session=session,
        person_create=PersonCreate(display_name=name, kind=PersonKind.STAFF, site_id=site),
        actor=_ACTOR,
    )
    add_to_group(session=session, person_id=person.id, group_id=group_id, actor=_ACTOR)
    add_credential(
        session=session,
        person_id=person.id,
        credential_create=CredentialCreate(
            kind=CredentialKind.BADGE, ref=str(int(badge)), badge_format=BadgeFormat.WIEGAND26
        ),
        actor=_ACTOR,
    )
    return person.id


def holds_ban(person_id: str, ban_id: str) -> Callable[[ReplicaSnapshot], bool]:
    """A predicate: the replica's record of `person_id` carries ban `ban_id`."""

    def check(snapshot: ReplicaSnapshot) -> bool:
        return any(
            person.person_id == person_id and any(b.ban_id == ban_id for b in person.port_bans)
            for person in snapshot.persons
        )

    return check


class GateStandIn:
    """One gate's replica and its sync client (the agent's `ApiClient` and `sync_replica`)."""

    def __init__(self, *, gate: str, site: str, key: str, api_url: str) -> None:
        self.gate, self.site = gate, site
        self.client = ApiClient(
            base_url=api_url, gate=gate, gate_key=key, decision_timeout_s=5, sync_timeout_s=10
        )
        self.snapshot: ReplicaSnapshot | None = None
        self.mqtt: mqtt.Client | None = None

    @property
    def version(self) -> int:
        """The held replica's version (-1: none yet)."""
        return -1 if self.snapshot is None else self.snapshot.version

    def sync(self) -> ReplicaSnapshot:
        """Fetch and apply what changed, as the agent does after a SyncNotice."""
        result = sync_replica(client=self.client, current=self.snapshot, now=datetime.now(UTC))
        self.snapshot = result.stored.snapshot
        return self.snapshot


class StandInFleet:
    """Every gate's stand-in, one broker connection each, and the workers that sync them.

    Args:
        seed: The port's gates and keys.
        api_url: The central API.
        broker: The broker the API publishes its SyncNotices to.
        workers: Sync threads (the agents' syncs run concurrently; this bounds the threads).
    """

    def __init__(
        self, *, seed: PortSeed, api_url: str, broker: MqttConnection, workers: int = 16
    ) -> None:
        self.gates = {
            gate: GateStandIn(gate=gate, site=site, key=seed.gate_keys[gate], api_url=api_url)
            for gate, site in seed.gate_sites.items()
        }
        self._broker = broker
        self._work: queue.Queue[str | None] = queue.Queue()
        self._pending: set[str] = set()
        self._cond = threading.Condition()
        self._watch: Callable[[ReplicaSnapshot], bool] | None = None
        self.reached: dict[str, float] = {}
        self.errors: list[str] = []
        self._threads = [
            threading.Thread(target=self._worker, name=f"standin-sync-{n}", daemon=True)
            for n in range(workers)
        ]

    def start(self, *, timeout_s: float = 120.0) -> None:
        """Connect every gate, sync every replica once, and wait until all are held."""
        for thread in self._threads:
            thread.start()
        for stand_in in self.gates.values():
            stand_in.mqtt = self._connect(stand_in)
            self._enqueue(stand_in.gate)
        if not self.wait(lambda: all(s.version >= 0 for s in self.gates.values()), timeout_s):
            raise RuntimeError(f"replicas not synced in {timeout_s} s: {self.errors[-3:]}")

    def _connect(self, stand_in: GateStandIn) -> mqtt.Client:
        client = build_client(self._broker, client_id=f"standin-{stand_in.gate}")
        topic = build_topic(SyncTopic(stand_in.site))

        def on_connect(
            c: mqtt.Client, userdata: object, flags: object, rc: object, p: object
        ) -> None:
            c.subscribe(topic, qos=1)

        def on_message(c: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
            self._on_notice(stand_in, bytes(message.payload))  # only enqueues

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect(self._broker.host, self._broker.port, self._broker.keepalive_s)
        client.loop_start()
        return client

    def _on_notice(self, stand_in: GateStandIn, payload: bytes) -> None:
        notice = decode_message(payload, SyncNotice)
        if isinstance(notice, SyncNotice) and notice.replica_version > stand_in.version:
            self._enqueue(stand_in.gate)

    def _enqueue(self, gate: str) -> None:
        with self._cond:
            if gate in self._pending:
                return
            self._pending.add(gate)
        self._work.put(gate)

    def _worker(self) -> None:
        while (gate := self._work.get()) is not None:
            with self._cond:
                self._pending.discard(gate)
            stand_in = self.gates[gate]
            try:
                snapshot = stand_in.sync()
            except Exception as exc:  # noqa: BLE001 (a failed sync is retried, as agents do)
                self.errors.append(f"{gate}: {exc}")
                # An agent whose sync failed tries again; waiting for the next notice
                # would leave a gate that timed out on a loaded API behind for good.
                retry = threading.Timer(_RETRY_S, self._enqueue, args=(gate,))
                retry.daemon = True
                retry.start()
                continue
            now = time.perf_counter()
            with self._cond:
                if self._watch is not None and gate not in self.reached and self._watch(snapshot):
                    self.reached[gate] = now
                self._cond.notify_all()

    def watch(self, predicate: Callable[[ReplicaSnapshot], bool]) -> None:
        """Record, from now on, when each gate first holds a replica that satisfies it."""
        with self._cond:
            self._watch = predicate
            self.reached = {}

    def wait(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until `done()` (checked after every sync), or False after `timeout_s`."""
        deadline = time.perf_counter() + timeout_s
        with self._cond:
            while not done():
                left = deadline - time.perf_counter()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def wait_reached(self, timeout_s: float) -> bool:
        """Wait until every gate satisfied the watched predicate."""
        return self.wait(lambda: len(self.reached) == len(self.gates), timeout_s)

    def stop(self) -> None:
        """Disconnect every gate and end the workers."""
        # Disconnect all first: a loop thread still connected takes up to a second to stop.
        clients = [s.mqtt for s in self.gates.values() if s.mqtt is not None]
        for client in clients:
            client.disconnect()
        for client in clients:
            client.loop_stop()
        for stand_in in self.gates.values():
            stand_in.client.close()
        for _ in self._threads:
            self._work.put(None)
