"""Synthetic face encodings shaped like real ones, for the 1:N and watchlist search tests.

The spread falls off as the real encodings' principal spreads do (LFW: 0.19, 0.10 at the
20th, 0.05 at the 40th), so impostors are about 1.1 apart, as real ones are.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["encoding_gallery", "mates_at"]

_SPREAD = 0.2 * 0.965 ** np.arange(128)


def encoding_gallery(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    """`n` synthetic encodings (float32 rows of 128)."""
    return (rng.standard_normal((n, 128)) * _SPREAD).astype(np.float32)


def mates_at(
    rng: np.random.Generator, rows: npt.NDArray[np.float32], threshold: float
) -> npt.NDArray[np.float64]:
    """A probe per row at `threshold` - 0.01 or + 0.01 from it (alternately), any direction."""
    steps = rng.standard_normal(rows.shape)
    steps /= np.linalg.norm(steps, axis=1, keepdims=True)
    offsets = np.where(np.arange(len(rows)) % 2 == 0, -0.01, 0.01) + threshold
    return rows.astype(np.float64) + steps * offsets[:, None]
