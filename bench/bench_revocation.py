"""Revocation reach: revoke a badge -> SyncNotice on MQTT -> the gate's replica updated.

usage: .venv/bin/python bench/bench_revocation.py [--rounds 10]

A real mosquitto (per-node users), the central API in this process (uvicorn thread,
testkit.api.server) on SQLite and one gate agent (AgentApp). Each round revokes one
badge over HTTP (`POST /api/v1/credentials/{id}/revoke`, as an admin) and times: the
retained SyncNotice reaching an MQTT subscriber (publish), and the agent holding the new
replica version (delta fetched over HTTP). Then one person is erased
(`DELETE /api/v1/enroll/people/{id}`) and timed until the agent's replica no longer holds
them. Anchor in the same run: a retained publish -> subscriber round trip on the same broker.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, select

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.users import create_user
from central_api.db import make_engine
from central_api.migrate import upgrade_database
from central_api.models import Credential, Person, Role
from gate_agent.app import AgentApp
from gate_agent.config import AgentConfig
from gate_protocol.messages import SyncNotice, decode_message, encode_message
from gate_protocol.topics import SyncTopic, build_topic
from portgate.broker.site_config import GateEntry, SiteConfig
from testkit.api.server import ThreadedApi
from testkit.faults.seed import seed_fleet
from testkit.secured_broker import SiteBroker, start_site_broker

SITE, GATE = "rev", "g01"


class Probe:
    """An MQTT subscriber that timestamps what arrives on one topic."""

    def __init__(self, broker: SiteBroker, topic: str) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self._cond = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="admin")
        self.client.username_pw_set("admin", broker.passwords["admin"])
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        # Without this, Nagle + delayed ACKs add ~40 ms to every small message here.
        sock = self.client.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def _on_message(self, client: object, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.arrivals.append((time.perf_counter(), bytes(message.payload)))
            self._cond.notify_all()

    def wait_after(self, count: int, timeout_s: float = 10.0) -> tuple[float, bytes] | None:
        """The arrival after the first `count` ones, or None after `timeout_s`."""
        deadline = time.perf_counter() + timeout_s
        with self._cond:
            while len(self.arrivals) <= count:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self.arrivals[count]


def wait_for(predicate: object, timeout_s: float) -> float | None:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout_s:
        if predicate():  # type: ignore[operator]
            return time.perf_counter()
        time.sleep(0.002)
    return None


def main() -> None:  # noqa: PLR0915 (one linear script)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        site = SiteConfig(site=SITE, gates=[GateEntry(id=GATE)])
        broker = start_site_broker(work / "broker", site)
        url = f"sqlite:///{work / 'api.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        settings = Settings.model_validate(
            {
                "DATABASE_URL": url,
                "MQTT_URL": broker.url("api"),
                "PORTGATE_SITE": SITE,
                "PORTGATE_DEV_MODE": True,
            }
        )
        seed = seed_fleet(
            engine=engine,
            site=SITE,
            gates=1,
            people=args.rounds + 2,
            seal_key=settings.template_key_bytes(),
        )
        admin_password = "bench-" + str(time.time_ns())
        with Session(engine) as session:
            create_user(
                session=session,
                username="root",
                password=admin_password,
                role=Role.ADMIN,
                actor="bench",
            )
            credentials = list(session.exec(select(Credential)).all())
            people = [p.id for p in session.exec(select(Person)).all()]
        api = ThreadedApi(create_app(settings, engine=engine))
        api.start()
        port = api.port
        config = AgentConfig.model_validate(
            {
                "site": SITE,
                "gate": GATE,
                "mqtt": {"url": f"mqtt://127.0.0.1:{broker.port}", "username": f"agent-{GATE}"},
                "api": {"url": f"http://127.0.0.1:{port}", "sync_interval_s": 3600},
                "outbox": {"path": str(work / "outbox.sqlite3")},
                "replica_path": str(work / "replica.json"),
            }
        )
        agent = AgentApp(
            config, gate_key=seed.gate_keys[GATE], mqtt_password=broker.passwords[f"agent-{GATE}"]
        )
        agent.start()
        probe = Probe(broker, build_topic(SyncTopic(SITE)))
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        try:
            token = client.post(
                "/api/v1/auth/token", data={"username": "root", "password": admin_password}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

            def version() -> int:
                index = agent.agent.replica.index
                return index.snapshot.version if index is not None else -1

            if wait_for(lambda: version() >= 0 and agent.agent.connected, 30) is None:
                raise SystemExit("the agent did not sync")
            time.sleep(0.5)
            # Anchor: a retained publish on the same broker, round trip to the probe.
            anchor = []
            for _ in range(args.rounds):
                seen = len(probe.arrivals)
                started = time.perf_counter()
                stale = SyncNotice(replica_version=0, at=datetime.now(UTC))
                probe.client.publish(build_topic(SyncTopic(SITE)), encode_message(stale), qos=1)
                got = probe.wait_after(seen)
                if got is not None:
                    anchor.append((got[0] - started) * 1000)
            time.sleep(0.2)
            notice_ms, replica_ms = [], []
            for credential in credentials[: args.rounds]:
                seen = len(probe.arrivals)
                started = time.perf_counter()
                answer = client.post(f"/api/v1/credentials/{credential.id}/revoke", headers=headers)
                answer.raise_for_status()
                got = probe.wait_after(seen)
                if got is None:
                    continue
                notice = decode_message(got[1], SyncNotice)
                assert isinstance(notice, SyncNotice)  # noqa: S101
                notice_ms.append((got[0] - started) * 1000)
                done = wait_for(lambda n=notice: version() >= n.replica_version, 20)
                if done is not None:
                    replica_ms.append((done - started) * 1000)
            victim = people[-1]
            started = time.perf_counter()
            client.delete(f"/api/v1/enroll/people/{victim}", headers=headers).raise_for_status()
            gone = wait_for(
                lambda: (
                    agent.agent.replica.index is not None
                    and agent.agent.replica.index.person(victim) is None
                ),
                30,
            )
            erase_s = (gone - started) if gone is not None else None
        finally:
            client.close()
            probe.client.loop_stop()
            probe.client.disconnect()
            agent.stop()
            api.stop()
            broker.stop()
            engine.dispose()
    a50 = statistics.median(anchor)
    n50, r50 = statistics.median(notice_ms), statistics.median(replica_ms)
    print(f"{len(notice_ms)} revocations over HTTP; medians (max)")
    print(f"  anchor: retained publish -> subscriber   {a50:8.2f} ms ({max(anchor):.2f})")
    print(f"  revoke -> SyncNotice received            {n50:8.2f} ms ({max(notice_ms):.2f})")
    print(f"  revoke -> agent replica updated          {r50:8.2f} ms ({max(replica_ms):.2f})")
    erased = f"{erase_s:.2f} s" if erase_s is not None else "NOT within 30 s"
    print(f"  erase person -> gone from the replica    {erased}")
    print(
        f"FIGURE revocation|revoke -> SyncNotice (max)|{max(notice_ms):.2f}|ms|"
        f"retained publish RTT|{a50:.2f}|<= 1 s|{'yes' if max(notice_ms) <= 1000 else 'no'}"
    )
    print(
        f"FIGURE revocation|revoke -> replica updated (max)|{max(replica_ms):.2f}|ms|"
        f"retained publish RTT|{a50:.2f}||"
    )
    if erase_s is not None:
        print(
            f"FIGURE revocation|erasure -> gone from replica|{erase_s:.2f}|s|||<= 15 s|"
            f"{'yes' if erase_s <= 15 else 'no'}"
        )


if __name__ == "__main__":
    main()
