"""The face photos of the tests: the set shipped in the repository, so a fresh clone has them.

`FACES` is the folder the demo enrolls from too (`portgate.demo.people.PHOTOS_DIR`, its
NOTICE names the source and licence). The lower resolutions of obama-1080p.jpg are not
shipped: `face_photo` derives them once per test run, the way the originals were made
(the same picture, downscaled to 240, 480 or 720 lines); faces the quality checks refuse
are made from them too (`testkit.face_variants`). No face test needs more. LFW and the QR
photos stay in ``../shared/data`` (`SHARED_DATA`) for the benchmarks and the QR photo test.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from portgate.demo.people import PHOTOS_DIR

__all__ = ["FACES", "SHARED_DATA", "face_photo"]

FACES = PHOTOS_DIR
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# The resolution variants of obama-1080p.jpg the tests use, by name: their height in lines.
_VARIANTS = {"obama-240p.jpg": 240, "obama-480p.jpg": 480, "obama-720p.jpg": 720}
_lock = threading.Lock()
_derived: dict[str, Path] = {}
_folders: list[Path] = []  # the one temporary folder of this process, made on first use


def _variant_dir() -> Path:
    if not _folders:
        _folders.append(Path(tempfile.mkdtemp(prefix="portgate-faces-")))
        atexit.register(shutil.rmtree, _folders[0], ignore_errors=True)
    return _folders[0]


def _derive(name: str, height: int) -> Path:
    import cv2

    source = cv2.imread(str(FACES / "obama-1080p.jpg"), cv2.IMREAD_COLOR)
    assert source is not None, "obama-1080p.jpg is not shipped"
    width = round(source.shape[1] * height / source.shape[0])
    small = cv2.resize(source, (width, height), interpolation=cv2.INTER_AREA)
    path = _variant_dir() / name
    assert cv2.imwrite(str(path), small, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def face_photo(name: str) -> Path:
    """The path of a shipped face photo, or of a resolution variant derived from one.

    Args:
        name: A file name in `FACES` (``people/<person>/<file>`` for the demo's people),
            or ``obama-240p.jpg`` / ``obama-480p.jpg`` / ``obama-720p.jpg``.

    Raises:
        FileNotFoundError: no such photo is shipped (a test must not silently skip).
    """
    if name in _VARIANTS:
        with _lock:
            if name not in _derived:
                _derived[name] = _derive(name, _VARIANTS[name])
            return _derived[name]
    path = FACES / name
    if not path.is_file():
        raise FileNotFoundError(f"no shipped face photo {name!r} in {FACES}")
    return path
