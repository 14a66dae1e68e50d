"""The bulk-import CSV: columns, parsing and row checks (pure; no network).

Columns (docs/enrollment.md): ``external_id``, ``display_name``, ``kind`` are required;
``company``, ``site_id``, ``valid_from``, ``valid_until``, ``access_groups``,
``competencies``, ``badge_number``, ``badge_format``, ``photos`` are optional. Lists are
separated by ``;``. A competency is ``NAME`` or ``NAME:YYYY-MM-DD`` (valid until the end
of that day). Dates are ``YYYY-MM-DD`` (UTC midnight; ``valid_until`` means to the end of
that day) or ISO 8601 date-times with an offset. ``photos`` names files in the photo
folder; empty means every file named ``<external_id>.<ext>`` or ``<external_id>_*.<ext>``.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gate_protocol.ids import is_id

from enrollment.errors import CsvError

__all__ = [
    "KINDS",
    "OPTIONAL_COLUMNS",
    "PHOTO_SUFFIXES",
    "REQUIRED_COLUMNS",
    "ImportRow",
    "RowProblem",
    "read_rows",
]

REQUIRED_COLUMNS = ("external_id", "display_name", "kind")
OPTIONAL_COLUMNS = (
    "company",
    "site_id",
    "valid_from",
    "valid_until",
    "access_groups",
    "competencies",
    "badge_number",
    "badge_format",
    "photos",
)
KINDS = frozenset({"staff", "contractor", "driver", "visitor"})
BADGE_FORMATS = frozenset({"wiegand26", "wiegand34", "raw", "keypad"})
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
MAX_ROWS = 100_000


@dataclass(frozen=True)
class ImportRow:
    """A row that passed the local checks: the person to send and their photo files."""

    line: int
    external_id: str
    person: dict[str, Any]
    photos: tuple[Path, ...]


@dataclass(frozen=True)
class RowProblem:
    """A row refused before anything was sent."""

    line: int
    external_id: str
    reasons: list[str] = field(default_factory=list)


def _when(text: str, *, end_of_day: bool) -> str:
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return (at + timedelta(days=1) if end_of_day else at).isoformat()
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or ISO date-time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return parsed.isoformat()


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _photos(folder: Path, external_id: str, listed: str, reasons: list[str]) -> list[Path]:
    if listed.strip():
        paths = []
        for name in _split(listed):
            path = folder / name
            if Path(name).is_absolute() or ".." in Path(name).parts:
                reasons.append(f"photo {name!r} is outside the photo folder")
            elif not path.is_file():
                reasons.append(f"photo {name!r} not found in the photo folder")
            else:
                paths.append(path)
        return paths
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in PHOTO_SUFFIXES
        and (p.stem == external_id or p.stem.startswith(f"{external_id}_"))
    )


def _person(row: dict[str, str], site_id: str | None, reasons: list[str]) -> dict[str, Any]:
    kind = row["kind"].strip().lower()
    if kind not in KINDS:
        reasons.append(f"kind {row['kind']!r} is not one of {', '.join(sorted(KINDS))}")
    site = (row.get("site_id") or "").strip() or site_id
    if not site:
        reasons.append("no site_id (column empty and no --site given)")
    person: dict[str, Any] = {
        "site_id": site,
        "display_name": row["display_name"].strip(),
        "kind": kind,
        "external_id": row["external_id"].strip(),
        "company": (row.get("company") or "").strip() or None,
        "access_groups": _split(row.get("access_groups") or ""),
        "competencies": [],
    }
    for column, end in (("valid_from", False), ("valid_until", True)):
        if (row.get(column) or "").strip():
            try:
                person[column] = _when(row[column], end_of_day=end)
            except ValueError as exc:
                reasons.append(f"{column}: {exc}")
    for item in _split(row.get("competencies") or ""):
        name, _, until = item.partition(":")
        competency: dict[str, Any] = {"name": name.strip()}
        if until.strip():
            try:
                competency["valid_until"] = _when(until, end_of_day=True)
            except ValueError as exc:
                reasons.append(f"competency {name!r}: {exc}")
        person["competencies"].append(competency)
    badge = (row.get("badge_number") or "").strip()
    if badge:
        badge_format = (row.get("badge_format") or "").strip().lower() or None
        if badge_format and badge_format not in BADGE_FORMATS:
            reasons.append(f"badge_format {badge_format!r} is not one of {sorted(BADGE_FORMATS)}")
        if not is_id(badge):
            reasons.append(f"badge_number {badge!r} has characters outside A-Z a-z 0-9 . _ : -")
        person["badge"] = {"number": badge, "badge_format": badge_format}
    return person


def read_rows(
    csv_file: Path, photo_folder: Path, *, site_id: str | None = None
) -> Iterator[ImportRow | RowProblem]:
    """Read the CSV and check each row locally (columns, kind, dates, photo files).

    Raises:
        CsvError: The file is unreadable, not UTF-8, or lacks a required column.
    """
    if not photo_folder.is_dir():
        raise CsvError(f"photo folder {photo_folder} does not exist")
    try:
        handle = csv_file.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CsvError(f"cannot read {csv_file}: {exc}") from None
    seen: set[str] = set()
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise CsvError(f"{csv_file}: missing column(s) {', '.join(missing)}")
            unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
            if unknown:
                raise CsvError(f"{csv_file}: unknown column(s) {', '.join(unknown)}")
            reader.fieldnames = header
            for number, raw in enumerate(reader, start=2):
                if number > MAX_ROWS + 1:
                    raise CsvError(f"{csv_file}: more than {MAX_ROWS} rows")
                yield _check_row(number, raw, photo_folder, site_id, seen)
        except UnicodeDecodeError:
            raise CsvError(f"{csv_file} is not UTF-8 text") from None
        except csv.Error as exc:
            raise CsvError(f"{csv_file}: {exc}") from None


def _check_row(
    line: int, raw: dict[str, Any], folder: Path, site_id: str | None, seen: set[str]
) -> ImportRow | RowProblem:
    if None in raw:
        return RowProblem(line, str(raw.get("external_id") or ""), ["more fields than columns"])
    row = {k: (v or "") for k, v in raw.items()}
    external_id = row["external_id"].strip()
    reasons: list[str] = []
    if not is_id(external_id):
        reasons.append("external_id is empty or has characters outside A-Z a-z 0-9 . _ : -")
    elif external_id in seen:
        reasons.append(f"external_id {external_id!r} appears twice in the file")
    seen.add(external_id)
    if not row["display_name"].strip():
        reasons.append("display_name is empty")
    person = _person(row, site_id, reasons)
    photos = _photos(folder, external_id, row.get("photos") or "", reasons) if not reasons else []
    if not reasons and not photos:
        reasons.append("no photo: none listed and none named after the external_id")
    if reasons:
        return RowProblem(line, external_id, reasons)
    return ImportRow(line, external_id, person, tuple(photos))
