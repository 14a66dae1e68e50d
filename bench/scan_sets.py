"""The test sets of bench_scan: the shared QR photos split once, and the phone-screen set.

The split rule (docs/scanning.md): a photo's path relative to the photos folder, with ``/``
separators (``qrcode-2/13.png``), hashed with SHA-256; an odd first byte puts it in the
held-out part, an even one in the tuning part (49 tuning and 48 held-out of the 97 zxing
photos). The scanner's stages were developed looking only at the tuning part's failures.
The paths are taken relative to the folder given to bench_scan, so the parts are these
only when it is the photos folder itself (the default).

The held-out photos are also scanned degraded in ways the shared photos barely show (half
size, low contrast, inverted, tilted, blurred, noisy: :data:`DEGRADATIONS`), as a stand-in
for photographed codes the scanner never saw; the development looked only at the tuning
part under them.

The phone-screen set (testkit.phone_screen) is drawn from seeds the scanner was never tried
on during development: passes ``SCREEN_SEED`` onwards (development used seeds 0-3).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from testkit.phone_screen import phone_screen_set

SCREEN_SEED = 1000
Decoder = Callable[[np.ndarray], list[str]]


def part_of(relative: str) -> str:
    """``"tuning"`` or ``"held-out"`` for a photo path relative to the photos folder."""
    return "held-out" if hashlib.sha256(relative.encode()).digest()[0] % 2 else "tuning"


def norm(text: str) -> str:
    """The expected text as eval-qr compares it: line endings and outer spaces ignored."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _tilted(grey: np.ndarray) -> np.ndarray:
    height, width = grey.shape
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    moved = corners * np.float32([[1, 1]]) + np.float32(
        [[0.12 * width, 0.05 * height], [-0.1 * width, 0], [0, 0], [0, -0.08 * height]]
    )
    matrix = cv2.getPerspectiveTransform(corners, moved)
    return np.asarray(cv2.warpPerspective(grey, matrix, (width, height), borderValue=255))


DEGRADATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "half size": lambda g: cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
    "low contrast": lambda g: (g.astype(np.float32) * 0.3 + 100).astype(np.uint8),
    "inverted": lambda g: 255 - g,
    "tilted": _tilted,
    "blurred": lambda g: cv2.GaussianBlur(g, (0, 0), 1.5),
    "noisy": lambda g: np.clip(g + np.random.default_rng(0).normal(0, 12, g.shape), 0, 255).astype(
        np.uint8
    ),
}


def photo_cases(root: Path, turns: tuple[int, ...]) -> list[tuple[str, np.ndarray, str]]:
    """(part, grey image, expected text) for each photo under `root` in each turn."""
    suffixes = {".png", ".jpg", ".jpeg", ".gif"}
    cases = []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in suffixes):
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            continue
        want = norm(path.with_suffix(".txt").read_text(encoding="utf-8", errors="replace"))
        part = part_of(path.relative_to(root).as_posix())
        cases += [(part, np.ascontiguousarray(np.rot90(grey, t)), want) for t in turns]
    return cases


def screen_rates(decoders: dict[str, Decoder], per_cell: int) -> dict[str, Counter[str]]:
    """Codes read per decoder and condition (key ``"total"`` too) on the phone-screen set."""
    hits: dict[str, Counter[str]] = {name: Counter() for name in decoders}
    for shot in phone_screen_set(per_cell, seed=SCREEN_SEED):
        grey = cv2.cvtColor(shot.image, cv2.COLOR_BGR2GRAY)
        for name, decode in decoders.items():
            read = shot.text in [norm(t) for t in decode(grey)]
            for key in (shot.condition, f"{shot.condition}/{shot.distance}", "total"):
                hits[name][key] += read
    return hits
