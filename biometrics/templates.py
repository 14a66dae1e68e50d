"""Face templates on the wire and at rest: 128 ``float32`` values, little-endian, 512 bytes.

One check for every way a template comes in (:func:`template_to_bytes` when one is made
or received, :func:`template_from_bytes` when one is read back): 128 values, all finite,
and a Euclidean norm that a dlib encoding can have. dlib's encodings measure 1.3 to 1.6
on real faces; the range is wide enough for any encoder's normalised output and still
refuses all-zero, all-NaN and blown-up vectors, which match nobody or everybody.
:func:`template_matrix` is the lenient reader for galleries: a broken stored template
is left out (and counted) instead of failing every search.

The central API stores these bytes encrypted; nothing here logs or prints them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from biometrics.errors import TemplateError

__all__ = [
    "TEMPLATE_BYTES",
    "TEMPLATE_NORM_RANGE",
    "template_from_bytes",
    "template_matrix",
    "template_rows",
    "template_to_bytes",
]

_DTYPE = np.dtype("<f4")
TEMPLATE_BYTES = 128 * _DTYPE.itemsize
TEMPLATE_NORM_RANGE = (0.5, 2.5)
"""The Euclidean norms a face template may have (dlib's: about 1.3 to 1.6)."""


def template_to_bytes(encoding: npt.ArrayLike) -> bytes:
    """Serialise one face encoding.

    Args:
        encoding: 128 numbers (any float dtype).

    Returns:
        512 bytes: 128 little-endian ``float32``.

    Raises:
        TemplateError: If the encoding does not hold 128 finite numbers of a plausible norm.
    """
    vector = np.asarray(encoding, dtype=np.float64).reshape(-1)
    if vector.shape != (128,):
        raise TemplateError(f"a face template has 128 values, not {vector.size}")
    _check_values(vector)
    return vector.astype(_DTYPE).tobytes()


def template_from_bytes(data: bytes) -> npt.NDArray[np.float32]:
    """Read one face template serialised by :func:`template_to_bytes`.

    Args:
        data: 512 bytes.

    Returns:
        The 128-d ``float32`` encoding (native byte order, writable).

    Raises:
        TemplateError: If ``data`` is not 512 bytes, holds non-finite values or its norm
            is outside :data:`TEMPLATE_NORM_RANGE`.
    """
    if len(data) != TEMPLATE_BYTES:
        raise TemplateError(f"a face template is {TEMPLATE_BYTES} bytes, not {len(data)}")
    vector = np.frombuffer(data, dtype=_DTYPE).astype(np.float32)
    _check_values(vector)
    return vector


def template_matrix(templates: Sequence[bytes]) -> tuple[npt.NDArray[np.float32], int]:
    """The usable templates as a (k, 128) ``float32`` matrix, and how many were left out.

    Args:
        templates: Serialised templates, some of which may be broken.

    Returns:
        The matrix of the templates that pass :func:`template_from_bytes` (in order) and
        the number of broken ones skipped.
    """
    matrix, usable = template_rows(templates)
    return matrix, len(templates) - int(usable.sum())


def template_rows(
    templates: Sequence[bytes],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """The usable templates as a matrix, and which of the given ones they are.

    The same checks as :func:`template_from_bytes`, made on all templates at once (a
    gate's gallery reads 100,000 of them when a replica is installed).

    Args:
        templates: Serialised templates, some of which may be broken.

    Returns:
        The (k, 128) ``float32`` matrix of the usable templates, in order, and a boolean
        mask over ``templates`` that is True for each of them.
    """
    sized = np.fromiter((len(data) == TEMPLATE_BYTES for data in templates), bool, len(templates))
    joined = b"".join(data for data, ok in zip(templates, sized, strict=True) if ok)
    rows = np.frombuffer(joined, dtype=_DTYPE).reshape(-1, 128).astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        # Summed in float64 like the one-by-one check, without a float64 copy of the rows.
        norms = np.sqrt(np.einsum("ij,ij->i", rows, rows, dtype=np.float64))
    low, high = TEMPLATE_NORM_RANGE
    good = np.isfinite(rows).all(axis=1) & (norms >= low) & (norms <= high)
    usable = sized.copy()
    usable[sized] = good
    return np.ascontiguousarray(rows[good]), usable


def _check_values(vector: npt.NDArray[np.floating]) -> None:
    if not np.all(np.isfinite(vector)):
        raise TemplateError("a face template must hold finite values only")
    norm = float(np.linalg.norm(vector.astype(np.float64)))
    low, high = TEMPLATE_NORM_RANGE
    if not low <= norm <= high:
        raise TemplateError(
            f"a face template's norm must be between {low} and {high}, not {norm:.3g}"
        )
