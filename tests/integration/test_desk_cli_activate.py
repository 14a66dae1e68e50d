"""`portgate enroll person activate`: a terminal activates an identity another one enrolled."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gate_protocol.replica import ReplicaSnapshot, decode_replica
from portgate.cli import app
from testkit.api.desk_server import DeskServer, run_desk_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    with run_desk_server(tmp_path_factory.mktemp("desk-activate")) as running:
        yield running


def _enroll(server: DeskServer, *args: str) -> tuple[int, str]:
    env = {"PORTGATE_API_URL": server.url, "PORTGATE_TOKEN": server.token()}
    result = CliRunner().invoke(app, ["enroll", *args], env=env)
    return result.exit_code, result.output


def test_activate_an_identity_at_a_second_site_once(server: DeskServer, tmp_path: Path) -> None:
    code, output = _enroll(
        server, "person", "add", "--name", "Ada Docker", "--kind", "staff", "--site", "rtm"
    )
    assert code == 0, output
    person = json.loads(output)["id"]

    no_group, group_output = _enroll(
        server, "person", "activate", person, "--site", "ams", "--group", "nope"
    )
    assert no_group == 1 and "access group 'nope' not found" in group_output
    code, output = _enroll(server, "person", "activate", person, "--site", "ams")
    assert code == 0, output
    assert json.loads(output)["site_id"] == "ams"

    again, again_output = _enroll(server, "person", "activate", person, "--site", "ams")
    unknown, unknown_output = _enroll(server, "person", "activate", "NOBODY1", "--site", "ams")
    assert again == 1 and "already activated" in again_output
    assert unknown == 1 and "not found" in unknown_output


# `person add|update --language` (issue 26.2): on the same desk server, no second start.
def test_a_language_is_set_at_enrollment_changed_and_an_unknown_one_refused(
    server: DeskServer,
) -> None:
    add = ["person", "add", "--name", "Ana Popescu", "--kind", "driver", "--site", "rtm"]
    code, output = _enroll(server, *add, "--language", "ro")
    assert code == 0, output
    person = json.loads(output)
    assert person["preferred_language"] == "ro"
    code, output = _enroll(server, "person", "update", person["id"], "--language", "lt")
    assert code == 0, output
    assert json.loads(output)["preferred_language"] == "lt"
    bad, bad_output = _enroll(server, "person", "update", person["id"], "--language", "xx")
    assert bad != 0 and "preferred_language" in bad_output
    refused, refused_output = _enroll(server, *add, "--language", "klingon")
    assert refused != 0 and "preferred_language" in refused_output
    code, output = _enroll(server, "person", "find", "Ana Popescu")
    assert code == 0, output  # nothing was changed or made by the refused ones
    assert [p["preferred_language"] for p in json.loads(output)] == ["lt"]


# `pass issue --language` (issue 26.2): on the same desk server too.
def test_a_pass_is_issued_in_a_language_and_an_unknown_one_makes_no_visit(
    server: DeskServer,
) -> None:
    add = ["person", "add", "--name", "Sam Carter", "--kind", "driver", "--site", "rtm"]
    code, output = _enroll(server, *add)
    assert code == 0, output
    person = json.loads(output)["id"]
    start = datetime.now(UTC) - timedelta(minutes=5)
    end = start + timedelta(hours=4)
    window = ["--from", f"{start:%Y-%m-%dT%H:%M:%S}", "--until", f"{end:%Y-%m-%dT%H:%M:%S}"]
    issue = ["pass", "issue", person, "--gate", server.world.gate, *window]
    code, output = _enroll(server, *issue, "--language", "tr")
    assert code == 0, output
    issued = json.loads(output)
    assert issued["language"] == "tr"
    bad, bad_output = _enroll(server, *issue, "--language", "xx")
    assert bad != 0 and "language" in bad_output and "'tr'" in bad_output
    answer = httpx.get(
        f"{server.url}/api/v1/gates/{server.world.gate}/replica", headers=server.world.gate_key()
    )
    snapshot = decode_replica(answer.content)
    assert isinstance(snapshot, ReplicaSnapshot)
    visits = [(a.pass_id, a.language) for a in snapshot.appointments if a.person_id == person]
    assert visits == [(issued["pass_id"], "tr")]  # the refused one made nothing
