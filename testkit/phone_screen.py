"""A phone-screen test set: real passes shown on a simulated phone and photographed again.

Truck drivers show their pass on a phone. Each shot renders a signed pass (the project's own
`PassSigner`, a key derived from the seed) as the pass card does (segno, level M), draws it
on a display of RGB sub-pixel stripes with a black grid between them (the display's
brightness, black level and gamma), and photographs that display: a pinhole camera's
perspective (tilt), a light optical blur, sampling the sub-pixel grid below its Nyquist
rate (the moiré), a specular glare blob, sensor noise and JPEG. Conditions switch one effect
on (or all but dark mode), distances set the code's module size in camera pixels. Everything is
drawn from ``numpy.random.default_rng(seed)``: one seed gives the same images, bit for bit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import numpy.typing as npt
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gate_protocol.passes.token import PassClaims, PassSigner

__all__ = ["CONDITIONS", "DISTANCES", "ScreenShot", "phone_screen_set", "screen_shot"]

Image = npt.NDArray[np.uint8]

# What each condition switches on; "moire" alone is the straight, well-lit baseline (the
# sub-pixel grid, sampling, noise and JPEG are in every shot).
CONDITIONS: dict[str, frozenset[str]] = {
    "moire": frozenset(),
    "tilt": frozenset({"tilt"}),
    "glare": frozenset({"glare"}),
    "dim": frozenset({"dim"}),
    "defocus": frozenset({"defocus"}),
    "dark": frozenset({"dark"}),
    "all": frozenset({"tilt", "glare", "dim", "defocus"}),
}
# The code's module size in camera pixels: a phone held at the window, at arm's length, far.
DISTANCES: dict[str, float] = {"near": 7.0, "mid": 4.0, "far": 2.6}
_DISPLAY_PX_PER_MODULE = 5  # phone pixels per QR module (a 45-module pass is 225 px wide)
_SUB = 3  # canvas pixels per display pixel: the R, G and B stripes
_FRAME = (720, 1280)  # camera frame, height x width


@dataclass(frozen=True)
class ScreenShot:
    """One photographed phone screen.

    Attributes:
        condition: A key of :data:`CONDITIONS`.
        distance: A key of :data:`DISTANCES`.
        seed: The seed the shot was drawn from.
        text: The pass token the code holds.
        image: The camera frame, BGR ``uint8`` (720 x 1280), JPEG-compressed.
    """

    condition: str
    distance: str
    seed: int
    text: str
    image: Image


def pass_token(seed: int) -> str:
    """A signed driver pass whose key, ids and window all follow from `seed`."""
    digest = hashlib.sha256(f"phone-screen-{seed}".encode()).digest()
    key = Ed25519PrivateKey.from_private_bytes(digest)
    start = datetime(2026, 11, 22, 6, 0, tzinfo=UTC) + timedelta(minutes=digest[0])
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    ids = "".join(alphabet[b % 32] for b in digest[1:19])
    claims = PassClaims.model_validate(
        {
            "pass_id": ids[:10],
            "holder_id": ids[10:18],
            "gates": ("G03", "G04"),
            "issued_at": start - timedelta(hours=20),
            "not_before": start,
            "expires_at": start + timedelta(hours=8),
            "one_time": True,
            "plate": "AB123CD",
        }
    )
    return PassSigner(key, "K01").issue(claims)


def _modules(text: str) -> npt.NDArray[np.bool_]:
    """The code's dark modules with a 4-module quiet zone (as the pass card draws it)."""
    qr = segno.make(text, error="m", micro=False, boost_error=False)
    return np.array([[bool(v) for v in row] for row in qr.matrix_iter(border=4)], dtype=bool)


def _display(
    modules: npt.NDArray[np.bool_], rng: np.random.Generator, effects: frozenset[str]
) -> npt.NDArray[np.float32]:
    """The phone: its screen as RGB stripes (BGR, linear light; 3x3 canvas px per pixel).

    A lit pixel's light comes from its three stripes, so a stripe is 3x as bright as the
    pixel's average; the camera's exposure (in :func:`_photograph`) brings white back.
    """
    dim = "dim" in effects
    brightness = rng.uniform(0.25, 0.45) if dim else rng.uniform(0.75, 1.0)
    black = rng.uniform(0.12, 0.25) if dim else rng.uniform(0.0, 0.06)  # LCD backlight leak
    lit = modules if "dark" in effects else ~modules  # dark mode: light code on a dark page
    gamma = rng.uniform(1.8, 2.4)
    # The rest of the screen (white, as a pass page is) around the code, in display pixels.
    pixels = np.kron(lit, np.ones((_DISPLAY_PX_PER_MODULE,) * 2, dtype=bool))
    pixels = np.pad(pixels, ((40, 40), (20, 20)), constant_values="dark" not in effects)
    level = (np.where(pixels, 1.0, black) ** gamma * brightness * 3).astype(np.float32)
    height, width = level.shape
    screen = np.zeros((height * _SUB, width * _SUB, 3), dtype=np.float32)
    stripe = np.kron(level, np.ones((_SUB, 1), dtype=np.float32))
    for channel, column in ((2, 0), (1, 1), (0, 2)):  # R, G, B stripes left to right
        screen[:, column::_SUB, channel] = stripe
    screen[_SUB - 1 :: _SUB, :, :] *= 0.35  # the dark grid between pixel rows
    bezel = 0.02
    return np.pad(screen, ((40, 40), (30, 30), (0, 0)), constant_values=bezel)


def _camera_corners(
    size: tuple[int, int], module_px: float, rng: np.random.Generator, tilt: bool
) -> npt.NDArray[np.float32]:
    """Where the phone's corners land in the frame: a pinhole view of the tilted phone."""
    height, width = size
    scale = module_px / (_DISPLAY_PX_PER_MODULE * _SUB)
    tilt_x = np.radians(rng.uniform(25, 40) * rng.choice([-1, 1]) if tilt else rng.uniform(-5, 5))
    tilt_y = np.radians(rng.uniform(15, 30) * rng.choice([-1, 1]) if tilt else rng.uniform(-5, 5))
    roll = np.radians(rng.uniform(-25, 25))
    local = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    local = (local - [width / 2, height / 2]) * scale
    cx, sx, cy, sy = np.cos(tilt_x), np.sin(tilt_x), np.cos(tilt_y), np.sin(tilt_y)
    rotation = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]) @ np.array(
        [[1, 0, 0], [0, cx, -sx], [0, sx, cx]]
    )
    rolled = local @ np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]]).T
    points = np.c_[rolled, np.zeros(4)] @ rotation.T
    focal = 1000.0  # pixels; the phone is at the focal distance, so its centre keeps scale
    projected = points[:, :2] * focal / (focal + points[:, 2:3])
    centre = np.array([_FRAME[1] / 2, _FRAME[0] / 2]) + rng.uniform(-80, 80, 2)
    return np.asarray(projected + centre, dtype=np.float32)


def _glare(
    frame: npt.NDArray[np.float32], rng: np.random.Generator, centre: npt.NDArray[np.float32]
) -> None:
    """Add a specular reflection (a saturating elliptical blob) near the code, in place."""
    height, width = frame.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = centre + rng.uniform(-40, 40, 2)
    rx, ry = rng.uniform(25, 60), rng.uniform(15, 40)
    blob = np.exp(-(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2))
    frame += (rng.uniform(0.8, 1.5) * blob)[:, :, None]


def _photograph(
    display: npt.NDArray[np.float32],
    module_px: float,
    rng: np.random.Generator,
    effects: frozenset[str],
) -> Image:
    """The camera's view of the display (see the module docstring), JPEG-compressed."""
    height, width = display.shape[:2]
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    target = _camera_corners((height, width), module_px, rng, "tilt" in effects)
    blur = rng.uniform(0.8, 1.4) if "defocus" in effects else rng.uniform(0.1, 0.3)
    # The lens blurs before the sensor samples: blur in canvas pixels, then sample without
    # a low-pass, so the sub-pixel grid aliases into moire as it does on a real sensor.
    sigma = blur * _DISPLAY_PX_PER_MODULE * _SUB / module_px
    optical = cv2.GaussianBlur(display, (0, 0), sigma)
    matrix = cv2.getPerspectiveTransform(source, target)
    background = float(rng.uniform(0.05, 0.3))
    linear: npt.NDArray[np.float32] = np.asarray(
        cv2.warpPerspective(
            optical,
            matrix,
            (_FRAME[1], _FRAME[0]),
            flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(background,) * 3,
        ),
        dtype=np.float32,
    )
    linear *= rng.uniform(0.7, 1.0)  # exposure for the whole scene, not for the screen
    if "glare" in effects:
        _glare(linear, rng, target.mean(axis=0))
    frame = 255 * np.clip(linear, 0, 1) ** (1 / 2.2)  # the camera's tone curve
    frame += rng.normal(0, 3.0, frame.shape)
    shot = np.asarray(np.clip(frame, 0, 255), dtype=np.uint8)
    quality = int(rng.integers(70, 90))
    ok, jpeg = cv2.imencode(".jpg", shot, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), dtype=np.uint8)


def screen_shot(condition: str, distance: str, seed: int) -> ScreenShot:
    """One pass shown on a phone and photographed, under `condition` at `distance`.

    Raises:
        KeyError: An unknown condition or distance.
    """
    effects, module_px = CONDITIONS[condition], DISTANCES[distance]
    rng = np.random.default_rng(
        [seed, list(CONDITIONS).index(condition), list(DISTANCES).index(distance)]
    )
    text = pass_token(seed)
    display = _display(_modules(text), rng, effects)
    return ScreenShot(
        condition, distance, seed, text, _photograph(display, module_px, rng, effects)
    )


def phone_screen_set(per_cell: int = 4, *, seed: int = 0) -> Iterator[ScreenShot]:
    """Every condition at every distance, `per_cell` passes each (seeds seed.. seed+per_cell-1)."""
    for condition in CONDITIONS:
        for distance in DISTANCES:
            for index in range(per_cell):
                yield screen_shot(condition, distance, seed + index)
