"""`portgate faces ...`: face verification tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

app = typer.Typer(help="Face verification tools.", no_args_is_help=True)

_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm"}


class _EncodingCache:
    """Encodes each image once per run, however many pairs name it."""

    def __init__(self) -> None:
        self._known: dict[Path, npt.NDArray[np.float32] | None] = {}

    def get(self, path: Path) -> npt.NDArray[np.float32] | None:
        key = path.resolve()
        if key not in self._known:
            self._known[key] = self._encode(path)
        return self._known[key]

    @staticmethod
    def _encode(path: Path) -> npt.NDArray[np.float32] | None:
        from biometrics import ENROLLMENT_PIPELINE, BiometricsError  # noqa: PLC0415

        try:
            face = ENROLLMENT_PIPELINE.encode_file(path)
        except BiometricsError as exc:
            typer.echo(f"warning: {exc}", err=True)
            return None
        if face is None:
            typer.echo(f"warning: no face found in {path}", err=True)
            return None
        return face.encoding


def _is_header(fields: list[str], folder: Path) -> bool:
    """A first line is a header when none of its first two fields names an image file.

    A field names an image when the file exists or its name ends like an image, so a
    first pair whose images are missing still gets its (null) answer line.
    """
    return not any(
        (folder / f.strip()).is_file() or Path(f.strip()).suffix.lower() in _IMAGE_SUFFIXES
        for f in fields[:2]
    )


def _compare_line(
    line: str, folder: Path, cache: _EncodingCache, threshold: float
) -> dict[str, object]:
    import numpy as np  # noqa: PLC0415

    fields = line.rstrip("\r\n").split("\t")
    if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
        typer.echo(f"warning: not an image_a<TAB>image_b line: {line.strip()!r}", err=True)
        return {"distance": None, "match": False}
    first = cache.get(folder / fields[0].strip())
    second = cache.get(folder / fields[1].strip())
    if first is None or second is None:
        return {"distance": None, "match": False}
    distance = float(np.linalg.norm(first.astype(np.float64) - second))
    return {"distance": round(distance, 6), "match": distance < threshold}


@app.command("compare")
def compare_command(
    pairs: Annotated[
        Path,
        typer.Option(help="File of image_a<TAB>image_b lines.", exists=True, dir_okay=False),
    ],
) -> None:
    """Compare image pairs at the shipped 1:1 threshold; one JSON line per pair."""
    from biometrics import DEFAULT_VERIFY_THRESHOLD  # noqa: PLC0415

    try:
        text = pairs.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        typer.echo(f"error: cannot read {pairs}: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    folder = pairs.parent
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and _is_header(lines[0].split("\t"), folder):
        lines = lines[1:]
    if not lines:
        typer.echo(f"warning: no image pairs in {pairs}", err=True)
    cache = _EncodingCache()
    for line in lines:
        try:
            result = _compare_line(line, folder, cache, DEFAULT_VERIFY_THRESHOLD)
        except Exception as exc:  # noqa: BLE001 - one bad line never stops the run
            typer.echo(f"warning: cannot compare {line.strip()!r}: {exc}", err=True)
            result = {"distance": None, "match": False}
        typer.echo(json.dumps(result))
