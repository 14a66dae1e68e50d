"""`portgate scan IMAGE...`: codes and faces found in images, one JSON line each.

Each line is ``{"image": PATH, "codes": [{"format", "text", "corners"}], "faces":
[{"box", "quality"}]}``: ``corners`` are four ``[x, y]`` pixel points, ``box`` is
``[top, right, bottom, left]`` in pixels (face_recognition's order) and ``quality`` is
``"ok"`` or the first failed check (``several_faces``, ``too_small``, ``blurred``,
``too_dark``, ``too_bright``, ``turned_away``). An image that cannot be read gives
``{"image": PATH, "error": MESSAGE}``; the command goes on and exits with status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def _faces_json(image: npt.NDArray[np.uint8]) -> list[dict[str, object]]:
    from biometrics import FaceEncoder, HogDetector, check_quality, detect_faces  # noqa: PLC0415

    faces = detect_faces(image, detector=HogDetector(upsample=0, max_width=1024))
    landmarker = FaceEncoder(landmark_points=5)
    found: list[dict[str, object]] = []
    for face in faces:
        report = check_quality(image, faces, landmarks=landmarker.landmarks(image, face), face=face)
        found.append({"box": face.as_css(), "quality": report.summary()})
    return found


def _scan_one(path: Path) -> dict[str, object]:
    import numpy as np  # noqa: PLC0415

    from biometrics import load_image  # noqa: PLC0415
    from gate_agent.camera.code_scanner import scan_codes  # noqa: PLC0415

    image = load_image(path)
    codes = scan_codes(np.ascontiguousarray(image[:, :, ::-1]))
    return {
        "image": str(path),
        "codes": [code.as_json() for code in codes],
        "faces": _faces_json(image),
    }


def scan_command(
    images: Annotated[list[Path], typer.Argument(help="Image files to scan.")],
) -> None:
    """Print one JSON line per image with the codes and faces found in it."""
    failed = 0
    for path in images:
        try:
            line = _scan_one(path)
        except Exception as exc:  # noqa: BLE001 - one bad image never stops the run
            failed += 1
            line = {"image": str(path), "error": str(exc) or type(exc).__name__}
        typer.echo(json.dumps(line))
    if failed:
        raise typer.Exit(code=1)
