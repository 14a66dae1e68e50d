"""Writing printed passes to files (PNG and PDF as the API renders them)."""

from pathlib import Path
from typing import Literal

from enrollment.client import EnrollClient

__all__ = ["save_pass_files"]


def save_pass_files(
    *,
    client: EnrollClient,
    pass_id: str,
    targets: dict[Literal["png", "pdf"], Path],
    photo: bytes | None = None,
) -> list[Path]:
    """Fetch the card in each format and write it; returns the files written."""
    written = []
    for fmt, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(client.pass_card(pass_id, fmt=fmt, photo=photo))
        written.append(path)
    return written
