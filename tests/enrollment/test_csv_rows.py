"""The import CSV's local checks (pure: no API, no faces)."""

from pathlib import Path

import pytest

from enrollment import CsvError, ImportRow, RowProblem, read_rows
from enrollment.session import resolve_session, save_token

HEADER = (
    "external_id,display_name,kind,company,valid_from,valid_until,"
    "competencies,badge_number,photos\n"
)


def _rows(tmp_path: Path, body: str, header: str = HEADER) -> list[ImportRow | RowProblem]:
    photos = tmp_path / "photos"
    photos.mkdir(exist_ok=True)
    for name in ("a.jpg", "E2.png", "E2_side.jpg", "E20.jpg", "notes.txt"):
        (photos / name).write_bytes(b"x")
    table = tmp_path / "people.csv"
    table.write_text(header + body, encoding="utf-8")
    return list(read_rows(table, photos, site_id="rtm"))


def test_a_good_row_becomes_the_person_to_send(tmp_path: Path) -> None:
    (row,) = _rows(
        tmp_path,
        "E1,Jan de Vries,Driver,Maas,2026-01-01,2026-12-31,ISPS:2027-06-30;induction,0042,a.jpg\n",
    )
    assert isinstance(row, ImportRow)
    assert row.person["kind"] == "driver" and row.person["site_id"] == "rtm"
    assert row.person["valid_from"] == "2026-01-01T00:00:00+00:00"
    assert row.person["valid_until"] == "2027-01-01T00:00:00+00:00", "to the end of that day"
    assert row.person["competencies"] == [
        {"name": "ISPS", "valid_until": "2027-07-01T00:00:00+00:00"},
        {"name": "induction"},
    ]
    assert row.person["badge"] == {"number": "0042", "badge_format": None}
    assert [p.name for p in row.photos] == ["a.jpg"]


def test_photos_are_found_by_external_id_when_none_are_listed(tmp_path: Path) -> None:
    (row,) = _rows(tmp_path, "E2,Piet,staff,,,,,,\n")
    assert isinstance(row, ImportRow)
    assert [p.name for p in row.photos] == ["E2.png", "E2_side.jpg"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("E1,Jan,pirate,,,,,,a.jpg", "kind 'pirate'"),
        (",Jan,staff,,,,,,a.jpg", "external_id is empty"),
        ("E 1,Jan,staff,,,,,,a.jpg", "external_id is empty or has characters"),
        ("E1,,staff,,,,,,a.jpg", "display_name is empty"),
        ("E1,Jan,staff,,2026-13-01,,,,a.jpg", "valid_from"),
        ("E1,Jan,staff,,2026-01-01T08:00,,,,a.jpg", "no UTC offset"),
        ("E1,Jan,staff,,,,ISPS:soon,,a.jpg", "competency 'ISPS'"),
        ("E1,Jan,staff,,,,,bad badge,a.jpg", "badge_number"),
        ("E1,Jan,staff,,,,,,missing.jpg", "not found"),
        ("E1,Jan,staff,,,,,,../a.jpg", "outside the photo folder"),
        ("E9,Jan,staff,,,,,,", "no photo"),
        ("E1,Jan,staff,,,,,,a.jpg,extra", "more fields than columns"),
    ],
)
def test_a_bad_row_is_refused_with_its_reason(tmp_path: Path, line: str, reason: str) -> None:
    (row,) = _rows(tmp_path, line + "\n")
    assert isinstance(row, RowProblem)
    assert any(reason in r for r in row.reasons), row.reasons


def test_an_external_id_twice_in_the_file_is_refused_the_second_time(tmp_path: Path) -> None:
    first, second = _rows(tmp_path, "E1,Jan,staff,,,,,,a.jpg\nE1,Jan,staff,,,,,,a.jpg\n")
    assert isinstance(first, ImportRow)
    assert isinstance(second, RowProblem) and "appears twice" in second.reasons[0]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("name,kind\n", "missing column(s) external_id, display_name"),
        ("external_id,display_name,kind,colour\n", "unknown column(s) colour"),
    ],
)
def test_a_bad_header_stops_the_import(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(CsvError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _rows(tmp_path, "", header=header)


def test_the_token_file_is_private_and_env_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_TOKEN_FILE", str(tmp_path / "t" / "token"))
    monkeypatch.delenv("PORTGATE_TOKEN", raising=False)
    path = save_token("from-file")
    assert path.stat().st_mode & 0o777 == 0o600
    assert resolve_session().token == "from-file"
    monkeypatch.setenv("PORTGATE_TOKEN", "from-env")
    assert resolve_session(api_url="http://api:8000/").api_url == "http://api:8000"
    assert resolve_session().token == "from-env"
