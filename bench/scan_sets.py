"""The test sets of bench_scan: the shared QR photos split once, and the phone-screen set.

The split rule (docs/scanning.md): a photo's path relative to the photos folder, with ``/``
separators (``qrcode-2/13.png``), hashed with SHA-256; an odd first byte puts it in the
held-out part, an even one in the tuning part (49 tuning and 48 held-out of the 97 zxing
photos). The scanner's stages were developed looking only at the tuning part's failures.

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
