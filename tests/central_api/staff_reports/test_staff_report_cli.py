"""`portgate staff-reports sign` and `purge` on a SQLite database.

The sign's QR code decodes to the report page's URL, whose token opens the gate's page;
`--rotate` retires the old token. A wrong gate, suffix or base URL is one error line,
exit 1, and no sign token is stored.
"""

from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.staff_reports.tables import StaffReportSign
from portgate.cli import app as cli
from testkit.migrated_db import migrate_database

BASE = "https://portgate.example.org"


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate_database(url)  # `portgate db upgrade` is tested in tests/central_api/test_cli.py
    made = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert made.exit_code == 0, made.output
    return url


def signs(url: str) -> list[StaffReportSign]:
    with Session(make_engine(url)) as session:
        return list(session.exec(select(StaffReportSign)).all())


def qr_text(path: Path) -> str:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image  # noqa: PLC0415

    with Image.open(path) as image:
        [found] = zxingcpp.read_barcodes(image.convert("RGB"))
    return str(found.text)


def test_a_sign_holds_the_page_url_and_rotating_retires_the_old_token(
    db_env: str, tmp_path: Path
) -> None:
    png = tmp_path / "sign.png"
    made = CliRunner().invoke(
        cli,
        ["staff-reports", "sign", "--gate", "north-1", "--base-url", BASE, "--output", str(png)],
    )
    assert made.exit_code == 0, made.output
    [sign] = signs(db_env)
    url = f"{BASE}/report/rtm/{sign.token}"
    assert made.output.splitlines()[0] == url
    assert qr_text(png) == url
    again = CliRunner().invoke(
        cli,
        ["staff-reports", "sign", "--gate", "north-1", "--base-url", BASE, "--output", str(png)],
    )
    assert again.output.splitlines()[0] == url  # the sign in use, printed again

    pdf = tmp_path / "sign.pdf"
    rotated = CliRunner().invoke(
        cli,
        [
            "staff-reports",
            "sign",
            "--gate",
            "north-1",
            "--base-url",
            BASE,
            "--output",
            str(pdf),
            "--rotate",
        ],
    )
    assert rotated.exit_code == 0, rotated.output
    assert pdf.read_bytes().startswith(b"%PDF")
    by_token = {s.token: s.retired_at for s in signs(db_env)}
    assert len(by_token) == 2 and by_token[sign.token] is not None
    assert rotated.output.splitlines()[0] != url


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gate", "nowhere", "--base-url", BASE], "unknown gate 'nowhere'"),
        (["--gate", "north-1", "--base-url", BASE, "--output", "sign.svg"], "as .png or .pdf"),
        (["--gate", "north-1", "--base-url", "portgate.example.org"], "must start with https://"),
    ],
)
def test_bad_sign_requests_are_one_error_line_and_store_nothing(
    db_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    refused = CliRunner().invoke(cli, ["staff-reports", "sign", *args])
    assert refused.exit_code == 1
    assert message in refused.output
    assert signs(db_env) == []
    assert not list(tmp_path.glob("sign*"))


def test_purge_reports_its_count(db_env: str) -> None:
    done = CliRunner().invoke(cli, ["staff-reports", "purge", "--days", "30"])
    assert done.exit_code == 0, done.output
    assert "0 staff report(s) purged" in done.output
    with Session(make_engine(db_env)) as session:
        assert session.exec(select(func.count()).select_from(StaffReportSign)).one() == 0
