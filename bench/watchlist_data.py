"""The watchlist benchmark's faces: every photo encoded as an entry and as gate passages.

Each photo of ../shared/data/lfw-dev and of ../shared/data/faces (one face each) is encoded
as a watchlist entry is (ENROLLMENT_PIPELINE, as the authority's photos are) and as the
gate's face step encodes a frame (FaceStream(BURST_STREAM)): the photo itself and five
altered copies (mirrored, cropped off-centre, blurred, JPEG at quality 20, darker with less
contrast). The copies are extra *passages* of the same person, never extra identities.

Encodings are cached as .npy files under a folder named by a key over the biometrics
source (alignment, models, stream settings) and the model files' sizes, so a change of
the face pipeline (e.g. 68 -> 5 landmarks) never reuses stale encodings.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

warnings.simplefilter("ignore")  # face_recognition_models imports pkg_resources

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LFW = DATA / "lfw-dev"
FACES = DATA / "faces"
# Encoding 2,800 images takes minutes on dlib-bin: keep them per user, outside the tree.
DEFAULT_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "portgate" / "watchlist"
)
# Bump when the alterations change (their encodings are cached under the key).
_ALTERATIONS_VERSION = "1"
# Biometrics modules an encoding does not depend on (left out of the cache key).
_NOT_ENCODING = frozenset({"watchlist.py", "matching.py", "thresholds.py", "ann.py"})
PASSAGE_KINDS = ("plain", "flip", "crop", "blur", "jpeg", "dark")
Array = npt.NDArray[np.float32]


def person_of(path: Path) -> str:
    """The person a photo shows: LFW's or knn_examples' folder, else the photo's name."""
    if path.parent.parent.name in ("images", "train"):
        return path.parent.name
    stem = path.stem.lower().replace("-", "_")
    if stem.startswith("johnsnow"):
        return "kit_harington"
    for name in ("obama", "biden", "alex_lacamoire", "lin_manuel_miranda"):
        if stem.startswith(name):
            return name
    return stem


def photos() -> list[Path]:
    """The LFW photos, then the shared photos with one face (each distinct file once)."""
    lfw = sorted((LFW / "images").glob("*/*.jpg"))
    several = ("two_people", "obama_and_biden", "kit_with_rose", "32bit")
    shared, seen = [], set()
    for path in sorted(FACES.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png") or path.stem in several:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            shared.append(path)
    return lfw + shared


def cache_key() -> str:
    """A key over what an encoding depends on: biometrics' code and its model files."""
    from biometrics.models import model_path  # noqa: PLC0415

    digest = hashlib.sha256(_ALTERATIONS_VERSION.encode())
    for source in sorted((ROOT / "biometrics").glob("*.py")):
        if source.name in _NOT_ENCODING:
            continue
        digest.update(source.name.encode() + source.read_bytes())
    for name in ("shape_68", "shape_5", "resnet", "mmod"):
        path = model_path(name)
        digest.update(f"{path.name}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def _altered(rgb: npt.NDArray[np.uint8]) -> dict[str, npt.NDArray[np.uint8]]:
    import cv2  # noqa: PLC0415

    height, width = rgb.shape[:2]
    crop = rgb[int(0.12 * height) : int(0.96 * height), int(0.10 * width) : int(0.97 * width)]
    _ok, jpeg = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 20])
    dark = 255.0 * (rgb.astype(np.float32) / 255.0) ** 1.8 * 0.7 + 20.0
    return {
        "plain": rgb,
        "flip": np.ascontiguousarray(rgb[:, ::-1]),
        "crop": cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR),
        "blur": cv2.GaussianBlur(rgb, (0, 0), 2.0),
        "jpeg": cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[:, :, ::-1],
        "dark": np.clip(dark, 0, 255).astype(np.uint8),
    }


def encode_photo(path: Path) -> dict[str, Array]:
    """One photo's entry encoding and its passages' (NaN rows where no face was found)."""
    import cv2  # noqa: PLC0415

    from biometrics import BURST_STREAM, ENROLLMENT_PIPELINE, FaceStream, load_image  # noqa: PLC0415

    rgb = load_image(path)
    out = {kind: np.full(128, np.nan, np.float32) for kind in ("entry", *PASSAGE_KINDS)}
    found = ENROLLMENT_PIPELINE.encode_image(rgb)
    if found is not None:
        out["entry"] = found.encoding.astype(np.float32)
    for kind, image in _altered(rgb).items():
        bgr = np.ascontiguousarray(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR))
        faces = FaceStream(BURST_STREAM).faces(bgr)
        if faces:
            out[kind] = faces[0].encoding.astype(np.float32)
    return out


def load_encodings(
    cache: Path = DEFAULT_CACHE,
    *,
    workers: int = 2,
    progress: Callable[[str], None] = print,
) -> tuple[list[Path], dict[str, Array]]:
    """Every photo's encodings by kind ("entry" and PASSAGE_KINDS), from the cache if there.

    Returns:
        The photos and, per kind, an (n, 128) float32 matrix (NaN rows: no face found).
    """
    paths = photos()
    folder = cache / cache_key()
    files = {kind: folder / f"{kind}.npy" for kind in ("entry", *PASSAGE_KINDS)}
    names = folder / "photos.txt"
    listed = [str(p.relative_to(DATA)) for p in paths]
    if names.is_file() and names.read_text().splitlines() == listed:
        if all(f.is_file() for f in files.values()):
            progress(f"encodings read from {folder}")
            return paths, {kind: np.load(f) for kind, f in files.items()}
    progress(f"encoding {len(paths)} photos x {1 + len(PASSAGE_KINDS)} ({workers} processes)")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(encode_photo, paths, chunksize=4))
    folder.mkdir(parents=True, exist_ok=True)
    result = {kind: np.stack([row[kind] for row in rows]) for kind in files}
    for kind, matrix in result.items():
        np.save(files[kind], matrix)
    names.write_text("\n".join(listed) + "\n")
    return paths, result


if __name__ == "__main__":
    import time

    started = time.perf_counter()
    found_paths, found = load_encodings()
    for kind, matrix in found.items():
        print(f"{kind}: {int(np.isfinite(matrix[:, 0]).sum())}/{len(found_paths)} with a face")
    print(f"{time.perf_counter() - started:.0f} s")
