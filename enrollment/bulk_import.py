"""Bulk import: CSV rows plus a photo folder, sent one person per request, resumable.

Resuming keys on ``external_id``: the external ids the site already has are fetched once
and their rows are skipped, and the server refuses to create an external id twice, so a
re-run after a crash or a network failure never enrolls anyone twice. The server creates
each person with all their templates in one transaction, so no half-created person is
left behind by a failure.
"""

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from enrollment.client import EnrollClient
from enrollment.csv_rows import ImportRow, RowProblem, read_rows
from enrollment.errors import ApiError, EnrollmentError

__all__ = ["ImportReport", "RowResult", "count_rows", "prepare_photo", "run_import"]

_MAX_SEND_BYTES = 3 * 1024 * 1024
_MAX_REQUEST_PHOTO_BYTES = 3 * 1024 * 1024 + 512 * 1024
_MAX_SIDE = 2000


@dataclass(frozen=True)
class RowResult:
    """What happened to one CSV row.

    Attributes:
        status: ``created``, ``skipped`` (enrolled before), ``rejected`` or ``error``.
        photos: Rejected photos of the row, by file name, with their reasons.
    """

    line: int
    external_id: str
    status: str
    person_id: str | None = None
    reason: str | None = None
    photos: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportReport:
    """All row results of a run."""

    results: list[RowResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per status."""
        return dict(Counter(r.status for r in self.results))

    def problems(self) -> list[RowResult]:
        """Rejected or failed rows, and created rows with rejected photos."""
        return [r for r in self.results if r.status in ("rejected", "error") or r.photos]

    def to_csv(self) -> str:
        """The report of problems as CSV: one line per row and per rejected photo."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["line", "external_id", "status", "person_id", "photo", "reason"])
        for r in self.problems():
            if r.status != "created" or not r.photos:
                writer.writerow([r.line, r.external_id, r.status, r.person_id or "", "", r.reason])
            for photo, reason in sorted(r.photos.items()):
                writer.writerow([r.line, r.external_id, r.status, r.person_id or "", photo, reason])
        return out.getvalue()


def count_rows(csv_file: Path) -> int:
    """Data rows in the CSV (for the progress bar)."""
    # Undecodable bytes are counted here and refused, with their reason, by `read_rows`.
    with csv_file.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        try:
            return max(0, sum(1 for _ in csv.reader(handle)) - 1)
        except csv.Error:
            return 0


def prepare_photo(path: Path, *, limit: int = _MAX_SEND_BYTES) -> bytes:
    """The photo's bytes, downscaled to 2000 px JPEG when over `limit` bytes.

    A photo that cannot be decoded (not an image, over 24 megapixels by its header) is
    sent as it is, undecoded, and the API says why it cannot use it.
    """
    data = path.read_bytes()
    if len(data) <= limit:
        return data
    from biometrics import ENROLLMENT_MAX_PIXELS, ImageError, decode_image  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    try:
        image = Image.fromarray(decode_image(data, max_pixels=ENROLLMENT_MAX_PIXELS))
    except ImageError:
        return data
    image.thumbnail((_MAX_SIDE, _MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _photo_reasons(outcome: dict[str, Any]) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for name, photo in (outcome.get("photos") or {}).items():
        if photo.get("status") != "accepted":
            text = "; ".join(photo.get("messages") or photo.get("reasons") or ["rejected"])
            reasons[name] = text
    return reasons


def _send(client: EnrollClient, row: ImportRow) -> RowResult:
    # The API takes at most 4 MiB a request: share that between the row's photos.
    limit = min(_MAX_SEND_BYTES, _MAX_REQUEST_PHOTO_BYTES // max(1, len(row.photos)))
    photos = [(p.name, prepare_photo(p, limit=limit)) for p in row.photos]
    try:
        outcome = client.import_person(row.person, photos)
    except ApiError as exc:
        return RowResult(row.line, row.external_id, "rejected", reason=exc.detail)
    if "status" not in outcome:
        return RowResult(row.line, row.external_id, "rejected", reason=str(outcome)[:300])
    status = {"created": "created", "exists": "skipped"}.get(outcome["status"], "rejected")
    return RowResult(
        row.line,
        row.external_id,
        status,
        person_id=outcome.get("person_id"),
        reason=outcome.get("reason"),
        photos=_photo_reasons(outcome),
    )


def run_import(
    *,
    client: EnrollClient,
    csv_file: Path,
    photo_folder: Path,
    site_id: str | None = None,
    on_result: Callable[[RowResult], None] | None = None,
) -> ImportReport:
    """Import every row; rows enrolled by an earlier run are skipped.

    Raises:
        CsvError: The CSV cannot be used at all.
        EnrollmentError: The API became unreachable (re-run to resume).
    """
    report = ImportReport()
    known: dict[str, dict[str, str]] = {}
    for item in read_rows(csv_file, photo_folder, site_id=site_id):
        if isinstance(item, RowProblem):
            result = RowResult(
                item.line, item.external_id, "rejected", reason="; ".join(item.reasons)
            )
        else:
            site = str(item.person["site_id"])
            if site not in known:
                known[site] = client.external_ids(site)
            if item.external_id in known[site]:
                result = RowResult(
                    item.line, item.external_id, "skipped", person_id=known[site][item.external_id]
                )
            else:
                try:
                    result = _send(client, item)
                except httpx.TransportError as exc:
                    report.results.append(
                        RowResult(item.line, item.external_id, "error", reason=str(exc))
                    )
                    raise EnrollmentError(
                        f"the API is unreachable at line {item.line} ({exc}); re-run to resume"
                    ) from None
        report.results.append(result)
        if on_result is not None:
            on_result(result)
    return report
