"""`portgate enroll` person / photo / badge / pass commands against a running API."""

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from typer.testing import CliRunner

from portgate.cli import app
from testkit.api.desk_server import PASSWORD, DeskServer, run_desk_server
from testkit.faces import face_photo

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    with run_desk_server(tmp_path_factory.mktemp("desk-cli")) as running:
        yield running


def _enroll(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["enroll", *args], env=env)
    return result.exit_code, result.output


def test_login_then_the_whole_desk_flow(server: DeskServer, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    env = {
        "PORTGATE_API_URL": server.url,
        "PORTGATE_TOKEN_FILE": str(token_file),
        "PORTGATE_TOKEN": "",
    }
    code, output = _enroll(env, "person", "find", "x")
    assert code == 2 and "not logged in" in output
    code, output = _enroll(
        {**env, "PORTGATE_PASSWORD": "wrong"}, "login", "--user", "security_desk-user"
    )
    assert code == 1 and "401" in output
    code, output = _enroll(
        {**env, "PORTGATE_PASSWORD": PASSWORD}, "login", "--user", "security_desk-user"
    )
    assert code == 0, output
    assert token_file.stat().st_mode & 0o777 == 0o600

    code, output = _enroll(
        env,
        "person",
        "add",
        "--name",
        "Barack Obama",
        "--kind",
        "driver",
        "--site",
        "rtm",
        "--company",
        "Maas Haulage",
        "--group",
        "quay-staff",
        "--competency",
        "ISPS:2030-01-01",
        "--external-id",
        "HR-7",
    )
    assert code == 0, output
    person = json.loads(output)["id"]

    code, output = _enroll(
        env,
        "photo",
        "add",
        person,
        str(face_photo("obama-480p.jpg")),
        str(face_photo("obama-240p.jpg")),
    )
    assert code == 1, "one photo was rejected"
    assert '"status": "accepted"' in output and '"too_small"' in output

    code, output = _enroll(env, "badge", "bind", person, "42077", "--format", "wiegand26")
    assert code == 0 and '"ref": "42077"' in output
    code, output = _enroll(env, "badge", "bind", person, "42077")
    assert code == 1 and "already bound" in output

    start = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    end = (datetime.now(UTC) + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%S")
    png, pdf = tmp_path / "pass.png", tmp_path / "pass.pdf"
    code, output = _enroll(
        env,
        "pass",
        "issue",
        person,
        "--gate",
        "north-1",
        "--from",
        start,
        "--until",
        end,
        "--plate",
        "AB123C",
        "--photo",
        str(face_photo("obama-480p.jpg")),
        "--png",
        str(png),
        "--pdf",
        str(pdf),
    )
    assert code == 0, output
    issued = json.loads(output)
    image = Image.open(io.BytesIO(png.read_bytes())).convert("L")
    assert [c.text for c in zxingcpp.read_barcodes(np.asarray(image))] == [issued["token"]]
    assert pdf.read_bytes().startswith(b"%PDF")

    code, output = _enroll(env, "person", "revoke", person)
    assert code == 0 and '"status": "revoked"' in output
    sar = tmp_path / "sar.json"
    code, output = _enroll(env, "person", "export", person, "--out", str(sar))
    assert code == 0
    exported = json.loads(sar.read_text())
    assert exported["person"]["status"] == "revoked"
    assert exported["external_ids"][0]["external_id"] == "HR-7"
    assert len(exported["face_templates"]) == 1 and len(exported["passes"]) == 1

    code, output = _enroll(env, "person", "erase", person, "--yes")
    assert code == 0 and '"face_templates": 1' in output
    code, output = _enroll(env, "person", "find", "Obama")
    assert code == 0 and json.loads(output) == []
