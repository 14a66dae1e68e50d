"""The watchlist gallery: every face a gate encodes is screened against it, strictly.

Unlike 1:N identification (who is this, among the people allowed here?) the watchlist
asks one question of every encoding: is this any of the faces the port looks out for?
It runs on every encoded face, so it is matrix-vector products over the whole gallery
(float32 on the calling thread, norms precomputed: ``|p - g|^2 = |p|^2 + |g|^2 - 2 p.g``),
exact, no Python loop per entry. From `ANN_MIN_ROWS` rows on, product-quantised codes
(`biometrics.ann`) name the candidate rows of each encoding and only those get the exact
distance: the rule sees the same distances of every row near enough to matter. The codes
are built in the background; the exact screen answers until they are ready.
The threshold is far stricter than the 1:1 one (`gate_protocol.thresholds`): with 10,000
entries each face makes 10,000 comparisons, and a false hit denies a rightful holder.

The rule (`watchlist_hit`, pure): `frames` encodings of one face must each be at or under
the threshold to the same entry. One encoding (a decision's averaged encoding, a desk
photo) hits alone at the strict single threshold; a track's frames hit when two of them
agree on one entry at the agreement threshold, so that the track's several chances per
passage do not multiply its false hits (docs/biometrics.md gives the figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics.ann import ANN_MIN_ROWS, CANDIDATES, CandidateSlot
from biometrics.errors import TemplateError
from biometrics.templates import template_from_bytes

__all__ = ["WatchlistGallery", "WatchlistHit", "watchlist_hit"]


@dataclass(frozen=True, slots=True)
class WatchlistHit:
    """The watchlist entry hit, and its distance.

    `frames` is 1 for one encoding within the threshold; for an agreement of several
    encodings it is how many agreed, and `distance` the farthest of the agreeing ones.
    """

    entry_id: str
    distance: float
    frames: int = 1


def watchlist_hit(
    distances: npt.ArrayLike,
    entry_ids: Sequence[str],
    *,
    threshold: float,
    frames: int = 1,
) -> WatchlistHit | None:
    """The rule: which entry (if any) the encodings of one face hit.

    Args:
        distances: (k, n) distances of k encodings of one face to the n gallery rows.
        entry_ids: Each row's entry (an entry may have several rows).
        threshold: The distance at or under which an encoding is near an entry.
        frames: How many of the k encodings must be near the same entry (1: any one;
            fewer than `frames` encodings never hit). Of several entries hit, the one
            whose `frames`-th nearest encoding is nearest is named.
    """
    matrix = np.asarray(distances, dtype=np.float64)
    if matrix.size == 0 or matrix.shape[0] < frames:
        return None
    if frames == 1:
        flat = int(np.argmin(matrix))
        best = float(matrix.flat[flat])
        if best > threshold:
            return None
        return WatchlistHit(entry_id=entry_ids[flat % matrix.shape[1]], distance=best)
    near: dict[str, npt.NDArray[np.float64]] = {}
    # Only rows some encoding is near can agree: few, so this loop stays short.
    for row in np.flatnonzero((matrix <= threshold).any(axis=0)):
        entry = entry_ids[int(row)]
        column = matrix[:, row]
        near[entry] = np.minimum(near[entry], column) if entry in near else column
    scored = [(float(np.sort(d)[frames - 1]), entry) for entry, d in near.items()]
    agreed = min((s for s in scored if s[0] <= threshold), default=None)
    if agreed is None:
        return None
    return WatchlistHit(entry_id=agreed[1], distance=agreed[0], frames=frames)


class WatchlistGallery:
    """An immutable gallery of watchlist faces (one 128-d template per row).

    Args:
        entry_ids: The entry each template belongs to (an entry may have several rows).
        templates: The templates, 512 bytes each (128 little-endian float32); broken ones
            (wrong size, non-finite, implausible norm) are left out.
    """

    def __init__(self, entry_ids: Sequence[str], templates: Sequence[bytes]) -> None:
        if len(entry_ids) != len(templates):
            raise ValueError("one entry id per template")
        kept_ids: list[str] = []
        rows: list[npt.NDArray[np.float32]] = []
        for entry_id, raw in zip(entry_ids, templates, strict=True):
            try:
                rows.append(template_from_bytes(raw))
            except TemplateError:
                continue  # a broken template would match nobody, or everybody
            kept_ids.append(entry_id)
        self._ids = tuple(kept_ids)
        self._matrix = np.stack(rows) if rows else np.empty((0, 128), dtype=np.float32)
        self._norms = np.einsum("ij,ij->i", self._matrix, self._matrix)
        self._codes = _codes_of(self._matrix)

    @classmethod
    def from_matrix(
        cls,
        entry_ids: Sequence[str],
        matrix: npt.ArrayLike,
        *,
        ann_min_rows: int = ANN_MIN_ROWS,
    ) -> WatchlistGallery:
        """A gallery over an (n, 128) matrix of encodings (benchmarks, tests).

        Raises:
            ValueError: the matrix is not (len(entry_ids), 128) of finite numbers.
        """
        rows = np.asarray(matrix, dtype=np.float32)
        if rows.ndim != 2 or rows.shape != (len(entry_ids), 128):
            raise ValueError(f"templates must have shape ({len(entry_ids)}, 128), got {rows.shape}")
        if not np.all(np.isfinite(rows)):
            raise ValueError("templates must hold finite values only")
        gallery = cls([], [])
        gallery._ids = tuple(entry_ids)
        gallery._matrix = np.ascontiguousarray(rows)
        gallery._norms = np.einsum("ij,ij->i", rows, rows)
        gallery._codes = _codes_of(gallery._matrix, ann_min_rows)
        return gallery

    def __len__(self) -> int:
        return len(self._ids)

    def wait_for_codes(self, timeout_s: float | None = None) -> bool:
        """Wait up to `timeout_s` for candidate codes being built; True when screens use them."""
        return self._codes.wait(timeout_s)

    def distances(self, probes: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """The (k, n) Euclidean distances of k probe encodings to every entry row."""
        matrix = np.asarray(probes, dtype=np.float32).reshape(-1, self._matrix.shape[1])
        rows = [self._norms - 2.0 * self._products(probe) + probe @ probe for probe in matrix]
        squared = np.stack(rows) if rows else np.empty((0, len(self._ids)), np.float32)
        result: npt.NDArray[np.float32] = np.sqrt(np.maximum(squared, 0.0))
        return result

    def _products(self, probe: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        # numpy's einsum loop runs on the calling thread (OpenBLAS's worker threads made one
        # GEMV over 10,000 rows take 10-20 ms on the loaded 2-core machine, against 0.12 ms
        # in blocks: bench/bench_watchlist.py), and each row's sum is taken in the same order
        # whatever the rows around it, so the codes' few candidate rows (`_products_of`)
        # get bit for bit the distance the full screen gives them.
        products: npt.NDArray[np.float32] = np.einsum("ij,j->i", self._matrix, probe)
        return products

    def screen(
        self,
        encodings: Sequence[npt.ArrayLike],
        *,
        threshold: float,
        frames: int = 1,
    ) -> WatchlistHit | None:
        """The entry the encodings of one face hit (`watchlist_hit`), else None.

        Args:
            encodings: One face's encodings (one photo's, or a track's frames).
            threshold: The distance at or under which an encoding is near an entry.
            frames: How many encodings must be near the same entry.
        """
        if not len(self._ids) or len(encodings) < max(frames, 1):
            return None
        probes = np.stack([np.asarray(e, dtype=np.float32).reshape(-1) for e in encodings])
        if probes.shape[1] != self._matrix.shape[1] or not np.all(np.isfinite(probes)):
            raise ValueError(f"an encoding must be 128 finite numbers, got shape {probes.shape}")
        codes = self._codes.codes()
        if codes is None:
            distances = self.distances(probes)
            return watchlist_hit(distances, self._ids, threshold=threshold, frames=frames)
        rows = codes.candidates(probes, CANDIDATES)
        near = self._products_of(probes, rows)
        ids = [self._ids[int(r)] for r in rows]
        return watchlist_hit(near, ids, threshold=threshold, frames=frames)

    def _products_of(
        self, probes: npt.NDArray[np.float32], rows: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float32]:
        """The exact distances (as `distances` computes them) of the probes to some rows."""
        matrix, norms = self._matrix[rows], self._norms[rows]
        squared = np.stack([norms - 2.0 * np.einsum("ij,j->i", matrix, p) + p @ p for p in probes])
        result: npt.NDArray[np.float32] = np.sqrt(np.maximum(squared, 0.0))
        return result


def _codes_of(matrix: npt.NDArray[np.float32], ann_min_rows: int = ANN_MIN_ROWS) -> CandidateSlot:
    """The gallery's candidate slot, its build started when the gallery is big enough to pay.

    The gallery's rows never change, so the build reads them in place (no copy).
    """
    slot = CandidateSlot()
    if len(matrix) >= ann_min_rows:
        slot.build(matrix)
    return slot
