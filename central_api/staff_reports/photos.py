"""A report's photo: size and header checked, re-encoded without metadata, sealed at rest.

The photo is read from the upload only up to `MAX_PHOTO_BYTES` + 1 (the API's body limit
refuses a larger declared body before anything reads it). `biometrics.images.decode_image`
refuses unknown formats and decompression bombs by their header before a pixel is decoded;
the pixels are then re-encoded as a JPEG of at most `MAX_SIDE` pixels a side, which drops
EXIF and every other metadata a phone writes (GPS position, device model, owner name):
a photo must not name the reporter the report itself does not. The JPEG is sealed with
AES-256-GCM under the photo key the desk's kept photos use, the report id bound in.
"""

import hashlib
import io
import secrets

from biometrics.errors import ImageError
from biometrics.images import ENROLLMENT_MAX_PIXELS, decode_image
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from central_api.config import Settings
from central_api.errors import InvalidError

__all__ = [
    "MAX_PHOTO_BYTES",
    "MAX_SIDE",
    "clean_photo",
    "open_photo",
    "report_photo_key",
    "seal_photo",
]

# Under the API's 4 MiB body limit with the form's other fields; the page shrinks larger
# phone photos before sending them.
MAX_PHOTO_BYTES = 3 * 1024 * 1024
MAX_SIDE = 2048
_NONCE_BYTES = 12


def clean_photo(data: bytes) -> bytes:
    """The photo as a metadata-free JPEG, or InvalidError (not an image, a bomb, empty)."""
    from PIL import Image  # noqa: PLC0415 - Pillow only when a report carries a photo

    try:
        pixels = decode_image(data, max_pixels=ENROLLMENT_MAX_PIXELS)
    except ImageError as exc:
        raise InvalidError(f"the photo was refused: {exc}") from None
    image = Image.fromarray(pixels)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _aad(report_id: str) -> bytes:
    return f"staff-report:{report_id}".encode()


def seal_photo(*, key: bytes, report_id: str, jpeg: bytes) -> tuple[bytes, bytes, str]:
    """``(nonce, ciphertext, sha256 hex of the JPEG)`` for the report's row."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, jpeg, _aad(report_id))
    return nonce, sealed, hashlib.sha256(jpeg).hexdigest()


def open_photo(*, key: bytes, report_id: str, nonce: bytes, ciphertext: bytes) -> bytes:
    """The JPEG of a sealed photo (raises `cryptography`'s InvalidTag on a moved row)."""
    return AESGCM(key).decrypt(nonce, ciphertext, _aad(report_id))


def report_photo_key(settings: Settings) -> bytes:
    """The AES-256 key of report photos, derived from the template key (its own purpose)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"portgate-staff-report-photo-v1"
    ).derive(settings.template_key_bytes())
