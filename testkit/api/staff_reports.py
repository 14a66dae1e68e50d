"""Helpers of the staff report tests: a gate sign, a phone photo with metadata, a report."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.staff_reports.signs import issue_sign

__all__ = ["GPS_MAKER", "phone_photo", "send_report", "sign_for"]

GPS_MAKER = "Pixelphone Maker of Jan de Vries"


def sign_for(engine: Engine, gate: str, *, rotate: bool = False) -> str:
    """The token of `gate`'s sign in use (issued on first use)."""
    with Session(engine) as session:
        return issue_sign(session=session, gate_id=gate, actor="test", rotate=rotate).token


def phone_photo(width: int = 64, height: int = 48) -> bytes:
    """A small JPEG with EXIF a phone writes: its make, and a GPS position."""
    from PIL import Image  # noqa: PLC0415 - test support

    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = GPS_MAKER  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 57.0, 0.0), 3: "E", 4: (4.0, 3.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def send_report(
    client: TestClient,
    *,
    site: str,
    sign: str | None = None,
    photo: bytes | None = None,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    """POST a report as the phone page does (multipart); the response."""
    data: dict[str, Any] = {
        "site": site,
        "what": "A van parked at the fence, two people cutting the wire.",
        "when": "2026-12-06T08:15:00+01:00",
    }
    if sign is not None:
        data["sign"] = sign
    data.update({k: v for k, v in fields.items() if v is not None})
    files = {"photo": ("photo.jpg", photo, "image/jpeg")} if photo is not None else None
    return client.post("/api/v1/staff-reports", data=data, files=files, headers=headers or {})
