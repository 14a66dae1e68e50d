"""`portgate enroll import` against a running API: bad rows, bad photos, a duplicate, resume."""

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portgate.cli import app
from testkit.api.desk_server import DeskServer, run_desk_server
from testkit.faces import FACES

pytestmark = pytest.mark.integration
HEADER = [
    "external_id",
    "display_name",
    "kind",
    "company",
    "access_groups",
    "valid_until",
    "photos",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    with run_desk_server(tmp_path_factory.mktemp("desk")) as running:
        yield running


def _run(server: DeskServer, *args: str) -> tuple[int, str]:
    env = {"PORTGATE_API_URL": server.url, "PORTGATE_TOKEN": server.token()}
    result = CliRunner().invoke(app, ["enroll", *args], env=env)
    return result.exit_code, result.output


def _write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_import_reports_rejects_and_resumes(server: DeskServer, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("obama.jpg", "two_people.jpg", "obama_small.jpg", "lin-manuel-miranda.png"):
        os.symlink(FACES / name, photos / name)
    os.symlink(FACES / "biden.jpg", photos / "E2.jpg")  # found by its external id
    table = _write_csv(
        tmp_path / "people.csv",
        [
            [
                "E1",
                "Barack Obama",
                "driver",
                "Maas Haulage",
                "quay-staff",
                "2030-12-31",
                "obama.jpg",
            ],
            ["E2", "Joe Biden", "staff", "", "", "", ""],
            ["E3", "Captain Hook", "pirate", "", "", "", "obama.jpg"],
            ["E4", "Nobody", "visitor", "", "", "", "missing.jpg"],
            ["E5", "Two People", "visitor", "", "", "", "two_people.jpg"],
            ["E6", "Bad Date", "visitor", "", "", "31/12/2030", "obama.jpg"],
            ["E1", "Barack Again", "driver", "", "", "", "obama.jpg"],
            ["E7", "Obama Twin", "visitor", "", "", "", "obama_small.jpg"],
            [
                "E8",
                "Lin-Manuel Miranda",
                "contractor",
                "",
                "no-such-group",
                "",
                "lin-manuel-miranda.png",
            ],
        ],
    )
    report = tmp_path / "report.csv"
    code, output = _run(
        server, "import", str(table), str(photos), "--site", "rtm", "--report", str(report)
    )
    assert code == 1, output
    assert "created 2" in output and "rejected 7" in output
    rows: dict[str, dict[str, str]] = {}
    for r in csv.DictReader(report.open()):
        entry = rows.setdefault(f"{r['external_id']}:{r['line']}", {"reason": ""})
        entry["reason"] += f" {r['photo']} {r['reason']}"
    assert "kind 'pirate'" in rows["E3:4"]["reason"]
    assert "missing.jpg" in rows["E4:5"]["reason"]
    assert "no usable photo" in rows["E5:6"]["reason"]
    assert "two_people.jpg More than one face" in rows["E5:6"]["reason"]
    assert "31/12/2030" in rows["E6:7"]["reason"]
    assert "appears twice" in rows["E1:8"]["reason"]
    assert "possible duplicate" in rows["E7:9"]["reason"]
    assert "no-such-group" in rows["E8:10"]["reason"]
    code, found = _run(server, "person", "find", "Lin-Manuel")
    assert code == 0 and found.strip() == "[]", "a refused row leaves no half-created person"

    code, output = _run(
        server, "import", str(table), str(photos), "--site", "rtm", "--report", str(report)
    )
    assert "skipped 2" in output and "created" not in output, "a re-run skips what is done"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,kind\nA,driver\n", "missing column(s) external_id, display_name"),
        ("external_id,display_name,kind,shoe_size\n", "unknown column(s) shoe_size"),
        (b"external_id,display_name,kind\nE1,J\xe9r\xf4me,driver\n", "not UTF-8"),
    ],
)
def test_an_unusable_csv_is_refused_with_its_reason(
    server: DeskServer, tmp_path: Path, content: str | bytes, message: str
) -> None:
    table = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        table.write_bytes(content)
    else:
        table.write_text(content, encoding="utf-8")
    code, output = _run(server, "import", str(table), str(tmp_path), "--site", "rtm")
    assert code == 1
    assert message in output
