"""1:1 verification and 1:N identification over face encodings.

Distances are Euclidean, exactly as ``face_recognition.face_distance`` computes them.
The 1:N index keeps the templates in ``float32`` blocks with their squared norms, and
screens a probe against every template with ``||a-b||^2 = ||a||^2 + ||b||^2 - 2 a.b``
(one matrix-vector product per block, no (N, 128) temporary). The few candidates that
the ``float32`` screen cannot tell apart from the k-th nearest (a rigorous rounding-error
margin) are re-ranked with the exact ``float64`` distance, so the ranking and the
distances equal face_distance's.

From `ANN_MIN_ROWS` templates on, 4-bit product-quantised codes (`biometrics.ann`) propose
the candidates instead of the full scan (a million templates: about 2 ms instead of tens),
and the candidates are ranked by the same exact float64 distance, so a threshold decides
as before; the codes follow every add and remove. They are built in the background
(`biometrics.ann.CandidateBuild`, from a float16 copy of the rows): until they are ready
the exact scan answers, then searches switch to the codes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from biometrics.ann import ANN_MIN_ROWS, CANDIDATES, CandidateSlot
from biometrics.thresholds import DEFAULT_IDENTIFY_THRESHOLD, DEFAULT_VERIFY_THRESHOLD

__all__ = ["Candidate", "IdentifyResult", "TemplateIndex", "VerifyResult", "verify"]

DIM = 128
_EPS32 = float(np.finfo(np.float32).eps) / 2


@dataclass(frozen=True)
class VerifyResult:
    """The answer of a 1:1 verification.

    Attributes:
        matched: Whether the best distance is below the threshold.
        distance: Best distance to the claimed person's templates (``inf`` when none).
        threshold: The threshold used.
        best_index: Index of the nearest template, ``None`` when there are none.
    """

    matched: bool
    distance: float
    threshold: float
    best_index: int | None


@dataclass(frozen=True)
class Candidate:
    """One person near a probe.

    Attributes:
        person_id: The enrolled person.
        distance: Distance to that person's nearest template.
    """

    person_id: str
    distance: float


@dataclass(frozen=True)
class IdentifyResult:
    """The answer of a 1:N identification.

    Attributes:
        person_id: The identified person, ``None`` when nobody is below the threshold.
        distance: Distance to the nearest template (``inf`` for an empty index).
        threshold: The threshold used.
        candidates: The nearest persons, nearest first.
    """

    person_id: str | None
    distance: float
    threshold: float
    candidates: list[Candidate] = field(default_factory=list)


def _as_probe(probe: npt.ArrayLike) -> npt.NDArray[np.float64]:
    vector = np.asarray(probe, dtype=np.float64).reshape(-1)
    if vector.shape != (DIM,) or not np.all(np.isfinite(vector)):
        raise ValueError(f"a probe must be {DIM} finite numbers, got shape {vector.shape}")
    return vector


def _as_matrix(templates: npt.ArrayLike) -> npt.NDArray[np.float32]:
    matrix = np.asarray(templates, dtype=np.float32)
    if matrix.ndim == 1 and matrix.size in (0, DIM):
        matrix = matrix.reshape(-1, DIM)
    if matrix.ndim != 2 or matrix.shape[1] != DIM:
        raise ValueError(f"templates must have shape (n, {DIM}), got {matrix.shape}")
    return matrix


def verify(
    probe: npt.ArrayLike,
    templates: npt.ArrayLike,
    *,
    threshold: float = DEFAULT_VERIFY_THRESHOLD,
) -> VerifyResult:
    """Verify a probe against the claimed person's templates (1:1).

    Args:
        probe: The 128-d encoding of the face at the gate.
        templates: The person's enrolled encodings, shape (n, 128) or one (128,).
        threshold: Match when the best distance is below this.

    Returns:
        The best distance and the decision; never a match without templates.
    """
    vector = _as_probe(probe)
    matrix = _as_matrix(templates)
    if matrix.shape[0] == 0:
        return VerifyResult(matched=False, distance=math.inf, threshold=threshold, best_index=None)
    distances = np.linalg.norm(matrix.astype(np.float64) - vector, axis=1)
    best = int(np.argmin(distances))
    distance = float(distances[best])
    return VerifyResult(
        matched=distance < threshold, distance=distance, threshold=threshold, best_index=best
    )


class TemplateIndex:
    """An in-memory 1:N index of enrolled templates, in fixed-size ``float32`` blocks.

    Blocks never move when the index grows, so adding to an index of a million templates
    (512 MB) never copies it; removing a person moves the last rows into the holes.
    """

    def __init__(self, *, block_rows: int = 65536, ann_min_rows: int = ANN_MIN_ROWS) -> None:
        """Create an empty index.

        Args:
            block_rows: Templates per block (bounds the temporaries of a search).
            ann_min_rows: From this many templates on, candidates come from the codes.
        """
        if block_rows < 1 or ann_min_rows < 1:
            raise ValueError("block_rows and ann_min_rows must be positive")
        self._ann_min_rows = ann_min_rows
        # The quantised codes of the rows (`biometrics.ann`), not the person codes below.
        self._candidate_codes = CandidateSlot()
        self._block_rows = block_rows
        self._blocks: list[npt.NDArray[np.float32]] = []
        self._norms: list[npt.NDArray[np.float32]] = []
        self._owners: list[npt.NDArray[np.int32]] = []
        self._person_codes: dict[str, int] = {}
        self._person_ids: list[str] = []
        self._size = 0

    def __len__(self) -> int:
        """Return the number of templates."""
        return self._size

    def add(self, person_id: str, templates: npt.ArrayLike) -> None:
        """Add one person's templates (shape (n, 128) or one (128,)).

        Args:
            person_id: The enrolled person.
            templates: The encodings.

        Raises:
            ValueError: If the templates have the wrong shape or non-finite values.
        """
        matrix = _as_matrix(templates)
        if not np.all(np.isfinite(matrix)):
            raise ValueError("templates must hold finite values only")
        code = self._person_codes.setdefault(person_id, len(self._person_ids))
        if code == len(self._person_ids):
            self._person_ids.append(person_id)
        self.add_codes(np.full(matrix.shape[0], code, dtype=np.int32), matrix)

    def add_codes(self, codes: npt.NDArray[np.int32], matrix: npt.NDArray[np.float32]) -> None:
        """Append rows whose owners are already-known person codes (bulk loading)."""
        first = self._size
        start = 0
        while start < matrix.shape[0]:
            block, row = divmod(self._size, self._block_rows)
            if block == len(self._blocks):
                self._blocks.append(np.zeros((self._block_rows, DIM), dtype=np.float32))
                self._norms.append(np.zeros(self._block_rows, dtype=np.float32))
                self._owners.append(np.full(self._block_rows, -1, dtype=np.int32))
            take = min(self._block_rows - row, matrix.shape[0] - start)
            rows = matrix[start : start + take]
            self._blocks[block][row : row + take] = rows
            self._norms[block][row : row + take] = np.einsum("ij,ij->i", rows, rows)
            self._owners[block][row : row + take] = codes[start : start + take]
            self._size += take
            start += take
        self._follow_with_codes(first, matrix)

    def _follow_with_codes(self, first: int, matrix: npt.NDArray[np.float32]) -> None:
        if self._candidate_codes:
            self._candidate_codes.add(first, matrix)
        elif self._size >= self._ann_min_rows:
            # Crossing the size where the codes pay: they get every row once, in the
            # background, from a copy (the rows move on removes meanwhile).
            copy = np.empty((self._size, DIM), dtype=np.float16)
            for number, block in enumerate(self._blocks):
                start = number * self._block_rows
                n = min(self._block_rows, self._size - start)
                copy[start : start + n] = block[:n]
            self._candidate_codes.build(copy)

    def wait_for_codes(self, timeout_s: float | None = None) -> bool:
        """Wait up to `timeout_s` for candidate codes being built; True when searches use them."""
        return self._candidate_codes.wait(timeout_s)

    def add_many(self, person_ids: Sequence[str], matrix: npt.ArrayLike) -> None:
        """Add many templates at once, one person id per row.

        Args:
            person_ids: The owner of each row.
            matrix: Shape (len(person_ids), 128).
        """
        rows = _as_matrix(matrix)
        if rows.shape[0] != len(person_ids):
            raise ValueError("one person id per template row is needed")
        codes = np.empty(len(person_ids), dtype=np.int32)
        for i, person_id in enumerate(person_ids):
            code = self._person_codes.setdefault(person_id, len(self._person_ids))
            if code == len(self._person_ids):
                self._person_ids.append(person_id)
            codes[i] = code
        self.add_codes(codes, rows)

    def remove(self, person_id: str) -> int:
        """Remove every template of a person; return how many were removed."""
        code = self._person_codes.get(person_id)
        if code is None:
            return 0
        rows = [
            np.flatnonzero(owners == code) + number * self._block_rows
            for number, owners in enumerate(self._owners)
        ]
        doomed = np.concatenate(rows) if rows else np.empty(0, dtype=np.intp)
        # From the end, so that a row moved into a hole is never itself one to remove.
        for index in sorted((int(i) for i in doomed if i < self._size), reverse=True):
            self._move_last_into(index)
        return len(doomed)

    def _move_last_into(self, index: int) -> None:
        last = self._size - 1
        dst_b, dst_r = divmod(index, self._block_rows)
        src_b, src_r = divmod(last, self._block_rows)
        self._blocks[dst_b][dst_r] = self._blocks[src_b][src_r]
        self._norms[dst_b][dst_r] = self._norms[src_b][src_r]
        self._owners[dst_b][dst_r] = self._owners[src_b][src_r]
        self._owners[src_b][src_r] = -1
        self._size = last
        self._candidate_codes.move(last, index)
        if src_r == 0:
            self._blocks.pop()
            self._norms.pop()
            self._owners.pop()

    def _rows(self, indices: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        blocks, rows = np.divmod(indices, self._block_rows)
        out = np.empty((len(indices), DIM), dtype=np.float32)
        # One gather per block touched (a few), not one per row: the codes propose 256 rows.
        for block in np.unique(blocks):
            pick = blocks == block
            out[pick] = self._blocks[int(block)][rows[pick]]
        return out

    def _owner(self, index: int) -> str:
        block, row = divmod(index, self._block_rows)
        return self._person_ids[int(self._owners[block][row])]

    def screen(self, probe: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Return the ``float32`` squared distance of the probe to every template."""
        vector = _as_probe(probe).astype(np.float32)
        out = np.empty(self._size, dtype=np.float32)
        for block_index, block in enumerate(self._blocks):
            start = block_index * self._block_rows
            n = min(self._block_rows, self._size - start)
            part = out[start : start + n]
            # einsum runs numpy's own single-threaded SIMD loop: as fast as BLAS for this
            # memory-bound product, and it cannot oversubscribe the gate's CPU with BLAS
            # threads (which made a 10k-row search take 50 ms on a busy 2-core machine).
            np.einsum("ij,j->i", block[:n], vector, out=part)
            part *= -2.0
            part += self._norms[block_index][:n]
        out += float(vector @ vector)
        return out

    def nearest(self, probe: npt.ArrayLike, *, k: int = 1) -> tuple[list[int], list[float]]:
        """Return the k nearest templates as (row indices, exact distances), nearest first.

        Ties are broken by row index. Rows are in insertion order until a removal.
        """
        vector = _as_probe(probe)
        if self._size == 0 or k < 1:
            return [], []
        k = min(k, self._size)
        proposer = self._candidate_codes.codes()
        if proposer is not None and self._size >= self._ann_min_rows:
            found = proposer.candidates(vector.astype(np.float32)[None], max(k, CANDIDATES))
            if found.size >= k:
                return self._ranked(found, vector, k)
        squared = self.screen(vector)
        kth = float(np.partition(squared, k - 1)[k - 1])
        # Rounding bound of the float32 expansion: a few ulps of (|a| + |b|)^2 per term.
        largest = float(np.sqrt(max(float(n.max()) for n in self._norms)))
        margin = 4 * DIM * _EPS32 * (largest + float(np.linalg.norm(vector))) ** 2
        return self._ranked(np.flatnonzero(squared <= kth + margin), vector, k)

    def _ranked(
        self, shortlist: npt.NDArray[np.intp], vector: npt.NDArray[np.float64], k: int
    ) -> tuple[list[int], list[float]]:
        """The k nearest of the shortlist by the exact float64 distance, ties by row."""
        exact = np.linalg.norm(self._rows(shortlist).astype(np.float64) - vector, axis=1)
        order = np.lexsort((shortlist, exact))[:k]
        return [int(i) for i in shortlist[order]], [float(d) for d in exact[order]]

    def identify(
        self,
        probe: npt.ArrayLike,
        *,
        threshold: float = DEFAULT_IDENTIFY_THRESHOLD,
        candidates: int = 5,
    ) -> IdentifyResult:
        """Identify the probe among every enrolled person (1:N).

        Args:
            probe: The 128-d encoding of the face at the gate.
            threshold: Identify only below this distance (stricter than 1:1).
            candidates: Templates examined for the list of nearest persons.

        Returns:
            The nearest person if below the threshold, with the nearest candidates.
        """
        indices, distances = self.nearest(probe, k=max(candidates, 1))
        if not indices:
            return IdentifyResult(person_id=None, distance=math.inf, threshold=threshold)
        nearest: dict[str, float] = {}
        for index, distance in zip(indices, distances, strict=True):
            nearest.setdefault(self._owner(index), distance)
        people = [Candidate(person_id=p, distance=d) for p, d in nearest.items()]
        best = people[0]
        return IdentifyResult(
            person_id=best.person_id if best.distance < threshold else None,
            distance=best.distance,
            threshold=threshold,
            candidates=people,
        )
