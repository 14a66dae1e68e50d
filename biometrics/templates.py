"""Face templates on the wire and at rest: 128 ``float32`` values, little-endian, 512 bytes.

The central API stores these bytes encrypted; nothing here logs or prints them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from biometrics.errors import TemplateError

__all__ = ["TEMPLATE_BYTES", "template_from_bytes", "template_to_bytes"]

_DTYPE = np.dtype("<f4")
TEMPLATE_BYTES = 128 * _DTYPE.itemsize


def template_to_bytes(encoding: npt.ArrayLike) -> bytes:
    """Serialise one face encoding.

    Args:
        encoding: 128 numbers (any float dtype).

    Returns:
        512 bytes: 128 little-endian ``float32``.

    Raises:
        TemplateError: If the encoding does not hold 128 finite numbers.
    """
    vector = np.asarray(encoding, dtype=np.float64).reshape(-1)
    if vector.shape != (128,):
        raise TemplateError(f"a face template has 128 values, not {vector.size}")
    if not np.all(np.isfinite(vector)):
        raise TemplateError("a face template must hold finite values only")
    return vector.astype(_DTYPE).tobytes()


def template_from_bytes(data: bytes) -> npt.NDArray[np.float32]:
    """Read one face template serialised by :func:`template_to_bytes`.

    Args:
        data: 512 bytes.

    Returns:
        The 128-d ``float32`` encoding (native byte order, writable).

    Raises:
        TemplateError: If ``data`` is not 512 bytes or holds non-finite values.
    """
    if len(data) != TEMPLATE_BYTES:
        raise TemplateError(f"a face template is {TEMPLATE_BYTES} bytes, not {len(data)}")
    vector = np.frombuffer(data, dtype=_DTYPE).astype(np.float32)
    if not np.all(np.isfinite(vector)):
        raise TemplateError("a face template must hold finite values only")
    return vector
