"""Erasure reaches a running gate agent: real mosquitto, real API, real `AgentApp`.

The person is enrolled with templates in an access group of the gate's zone; the agent
syncs its replica; the desk erases the person; the API's retained SyncNotice makes the
agent fetch the delta, and its replica (memory and file) loses the person and every
template within 15 s.
"""

import base64
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from gate_agent.app import AgentApp
from gate_agent.decision.replica_store import ReplicaStore
from testkit.agent.doubles import agent_config
from testkit.api.desk_server import DeskServer, run_desk_server
from testkit.api.enrollment import random_template
from testkit.mosquitto import MosquittoProcess

pytestmark = pytest.mark.integration
ERASURE_DEADLINE_S = 15.0


def _wait(predicate: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def _enroll(server: DeskServer, http: httpx.Client) -> str:
    answer = http.post(
        "/api/v1/enroll/people",
        json={
            "site_id": "rtm",
            "display_name": "Erase Me",
            "kind": "staff",
            "access_groups": ["quay-staff"],
            "badge": {"number": "777001"},
        },
    )
    assert answer.status_code == 201, answer.text
    person = str(answer.json()["id"])
    for seed in (1, 2):
        template = base64.b64encode(random_template(seed)).decode()
        added = http.post(
            f"/api/v1/people/{person}/face-templates", json={"template_b64": template}
        )
        assert added.status_code == 201, added.text
    return person


def test_erasure_reaches_the_running_agent_within_15_s(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> None:
    with run_desk_server(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{mosquitto.port}") as server:
        headers = {"Authorization": f"Bearer {server.token()}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            person = _enroll(server, http)
            config = agent_config(
                tmp_path / "agent",
                mqtt_port=mosquitto.port,
                api_url=server.url,
                site="rtm",
                gate=server.world.gate,
            )
            (tmp_path / "agent").mkdir()
            agent = AgentApp(config, gate_key=server.world.keys[server.world.gate])
            agent.start()
            try:

                def knows(present: bool) -> Callable[[], bool]:
                    def check() -> bool:
                        index = agent.agent.replica.index
                        if index is None:
                            return False
                        has = index.person(person) is not None or bool(index.templates_of(person))
                        return has == present

                    return check

                _wait(knows(True), 30)
                assert len(agent.agent.replica.index.templates_of(person)) == 2  # type: ignore[union-attr]
                erased = http.delete(f"/api/v1/enroll/people/{person}")
                assert erased.status_code == 200, erased.text
                took = _wait(knows(False), ERASURE_DEADLINE_S)
                stored = ReplicaStore(config.replica_path).load()
                assert stored is not None
                snapshot = stored.snapshot
                assert all(p.person_id != person for p in snapshot.persons)
                assert all(t.person_id != person for t in snapshot.templates)
                assert all(c.ref != "777001" for c in snapshot.credentials)
            finally:
                agent.stop()
    print(f"erasure reached the agent in {took:.2f} s")  # noqa: T201
