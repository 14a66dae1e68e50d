"""`portgate faces ...`: face verification tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from portgate.language import _

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

app = typer.Typer(help="Face verification tools.", no_args_is_help=True)

_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm"}


class PairError(Exception):
    """One pair could not be compared; the message says which image and why."""


class _EncodingCache:
    """Encodes each image once per run, however many pairs name it (failures too)."""

    def __init__(self) -> None:
        self._known: dict[Path, npt.NDArray[np.float32] | str] = {}

    def get(self, path: Path) -> npt.NDArray[np.float32]:
        """The image's encoding, or `PairError` saying why there is none."""
        key = path.resolve()
        if key not in self._known:
            try:
                self._known[key] = self._encode(path)
            except PairError as exc:
                self._known[key] = str(exc)
        known = self._known[key]
        if isinstance(known, str):
            raise PairError(known)
        return known

    @staticmethod
    def _encode(path: Path) -> npt.NDArray[np.float32]:
        from biometrics import ENROLLMENT_PIPELINE, BiometricsError  # noqa: PLC0415

        try:
            face = ENROLLMENT_PIPELINE.encode_file(path)
        except BiometricsError as exc:
            raise PairError(str(exc)) from exc
        if face is None:
            raise PairError(f"no face found in {path}")
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
    """The answer line of one pair, named by its two images; `error` says why it has none."""
    import numpy as np  # noqa: PLC0415

    fields = line.rstrip("\r\n").split("\t")
    names = [f.strip() for f in fields[:2]] + [""] * (2 - len(fields[:2]))
    answer: dict[str, object] = {"image_a": names[0], "image_b": names[1]}
    if len(fields) < 2 or not names[0] or not names[1]:
        return answer | _failed(f"not an image_a<TAB>image_b line: {line.strip()!r}")
    try:
        first = cache.get(folder / names[0])
        second = cache.get(folder / names[1])
        distance = float(np.linalg.norm(first.astype(np.float64) - second))
    except PairError as exc:
        return answer | _failed(str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad pair never stops the run
        return answer | _failed(f"cannot compare: {exc}")
    return answer | {"distance": round(distance, 6), "match": distance < threshold}


def _failed(reason: str) -> dict[str, object]:
    return {"distance": None, "match": False, "error": reason}


@app.command("compare")
def compare_command(
    pairs: Annotated[
        Path,
        typer.Option(help="File of image_a<TAB>image_b lines.", exists=True, dir_okay=False),
    ],
) -> None:
    """Compare image pairs at the shipped 1:1 threshold; one JSON line per pair.

    Each line names its pair (`image_a`, `image_b` as written in the file). A pair that
    cannot be compared (unreadable image, no face, malformed line) gets `distance` null,
    an `error` field and an `error:` line on stderr naming it; the run goes on with the
    next pair and then exits 1, so a script cannot mistake a failed pair for a non-match.
    """
    from biometrics import DEFAULT_VERIFY_THRESHOLD  # noqa: PLC0415

    try:
        text = pairs.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        typer.echo(_("error: cannot read {file}: {error}", file=pairs, error=exc), err=True)
        raise typer.Exit(code=1) from exc
    folder = pairs.parent
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and _is_header(lines[0].split("\t"), folder):
        lines = lines[1:]
    if not lines:
        typer.echo(_("error: no image pairs in {file}", file=pairs), err=True)
        raise typer.Exit(code=1)
    cache = _EncodingCache()
    failed = 0
    for number, line in enumerate(lines, start=1):
        result = _compare_line(line, folder, cache, DEFAULT_VERIFY_THRESHOLD)
        if "error" in result:
            failed += 1
            pair = f"{result['image_a']} / {result['image_b']}"
            typer.echo(
                _(
                    "error: pair {number} ({pair}): {error}",
                    number=number,
                    pair=pair,
                    error=result["error"],
                ),
                err=True,
            )
        typer.echo(json.dumps(result))
    if failed:
        typer.echo(
            _(
                "error: {failed} of {count} pairs could not be compared",
                failed=failed,
                count=len(lines),
            ),
            err=True,
        )
        raise typer.Exit(code=1)
