"""Candidates for 1:N and watchlist search at port scale: 4-bit product-quantised codes.

An exact scan of a million templates reads 512 MB per probe (26-39 ms of one core here).
Each template's 4-bit product-quantisation code (64 pieces of 2 dimensions, 16 centroids
each: 32 bytes) is a coarse copy of it; faiss's fast-scan kernel compares a probe with a
million of them in about 2 ms of one core, from registers, without reading the rows. The
codes only propose `CANDIDATES` rows: every caller re-ranks them with the exact distance
and decides on that, so a threshold means the same as with the exact scan. With 256
candidates bench/bench_index.py measured the re-ranked top-1 equal to the exact search's
on every one of 10,000 probes at 1,000,000 templates (docs/performance.md has the figures,
and why this and not an HNSW graph: a 1M graph took 33 minutes of both cores to build and
agreed on 99.09%).

Below `ANN_MIN_ROWS` the exact scan stays.

The codes are built on a background thread (`CandidateBuild`, seconds at 1M): until they
are ready the gallery keeps answering with its exact scan (the same decisions, only
slower); the changes made meanwhile are kept and replayed before the codes are first used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

__all__ = [
    "ANN_MIN_ROWS",
    "CANDIDATES",
    "AnnCandidates",
    "CandidateBuild",
    "CandidateSlot",
]

_log = logging.getLogger(__name__)

DIM = 128
# Candidates proposed per probe (re-ranked exactly by the caller). Chosen on a tuning
# gallery of 1M (another seed than the benchmark's): 64 and 128 agreed on 99.98%, 256 on
# 99.98% of 4,000 probes there, and on 100% of the benchmark's 10,000.
CANDIDATES = 256
# Below this many rows the exact scan answers (0.45 ms at 20,000 rows, as fast as the
# codes). From 100,000 the codes take 0.46 ms a probe against the exact scan's 4.6 ms, with
# the same top-1 on 10,000 of 10,000 probes, built in 1.3 s in the background
# (docs/performance.md). The galleries that use them live long: the gate agent's is kept
# in step with its replica (gate_agent/face/gallery.py), the API's enrollment gallery with
# the database.
ANN_MIN_ROWS = 100_000
_PIECES = 64  # 2 dimensions a piece
_BITS = 4  # 16 centroids a piece: what the fast-scan kernel compares in SIMD registers
# k-means samples 256 rows per centroid of each piece anyway: more would only cost time.
_TRAINING_ROWS = 65_536
_ADD_CHUNK = 65_536  # rows converted to float32 at once (a float16 copy is read in chunks)
# Removed rows stay as dead codes (never proposed) until they are 1/64 of all codes; then
# the codes are compacted in one pass (70 ms at 1M).
_COMPACT_SHARE = 64
# The background build yields the CPU to the gate's own work (detection, decisions).
_BUILD_NICE = 10


def _one_thread() -> None:
    # A probe is one query, which faiss serves on one thread; the gate's cores belong to its
    # detection and decisions. OpenMP's thread count is per calling thread, so it is set by
    # each thread that calls into faiss.
    faiss.omp_set_num_threads(1)


class AnnCandidates:
    """The codes of a gallery's rows, keyed by row number (the caller keeps rows in step).

    Codes sit in faiss in the order they were added; `_row_of` maps a code's position to
    the row it stands for (-1: a removed row's code) and `_slot_of` a row to its position.
    The codes are kept twice: plain (`IndexPQ`, 32 bytes a row, where removing works) and
    packed for the fast scan (`IndexPQFastScan`, another 32). faiss 1.15's fast-scan index
    misplaces rows added after a `remove_ids` (they are not found again: checked here), so
    the packed copy is never removed from; a compaction repacks it from the plain codes
    (60 ms at 1M).
    """

    def __init__(self, training_rows: npt.NDArray[np.floating[Any]]) -> None:
        """Empty codes with their quantiser trained on `training_rows` (at least 16 rows).

        Raises:
            RuntimeError: faiss could not train on the rows (too few of them).
        """
        _one_thread()
        step = max(1, len(training_rows) // _TRAINING_ROWS)
        sample = np.ascontiguousarray(training_rows[::step][:_TRAINING_ROWS], dtype=np.float32)
        self._codes = faiss.IndexPQ(DIM, _PIECES, _BITS)
        self._codes.train(sample)
        self._scan = _packed(self._codes)
        self._row_of = np.empty(0, dtype=np.int64)
        self._slot_of = np.empty(0, dtype=np.int64)
        self._rows = 0
        self._dead = 0

    def __len__(self) -> int:
        """Return the number of rows the codes stand for."""
        return self._rows

    @property
    def nbytes(self) -> int:
        """The memory the codes hold: both copies of the codes and the row maps."""
        code_bytes = int(self._codes.code_size) * int(self._codes.ntotal)
        return 2 * code_bytes + self._row_of.nbytes + self._slot_of.nbytes

    def add(self, first_row: int, rows: npt.NDArray[np.floating[Any]]) -> None:
        """Add rows numbered from `first_row` on (the next row numbers; float32 or float16)."""
        if first_row != self._rows:
            raise ValueError(f"rows must be added at the end ({self._rows}), not at {first_row}")
        _one_thread()
        for start in range(0, len(rows), _ADD_CHUNK):
            chunk = np.ascontiguousarray(rows[start : start + _ADD_CHUNK], dtype=np.float32)
            slot = int(self._codes.ntotal)
            self._codes.add(chunk)
            if len(rows) <= _ADD_CHUNK:
                self._scan.add(chunk)  # a person or a delta: encoded twice, microseconds
            numbers = np.arange(self._rows, self._rows + len(chunk), dtype=np.int64)
            self._row_of = _put(self._row_of, slot, numbers)
            self._slot_of = _put(self._slot_of, self._rows, np.arange(slot, slot + len(chunk)))
            self._rows += len(chunk)
        if len(rows) > _ADD_CHUNK:
            self._scan = _packed(self._codes)  # a bulk load: packed once

    def move(self, src: int, dst: int) -> None:
        """Row `src` (the last) now lives at `dst`, whose old row is gone; `src` is gone too."""
        self._row_of[self._slot_of[dst]] = -1
        self._dead += 1
        if src != dst:
            moved = self._slot_of[src]
            self._row_of[moved] = dst
            self._slot_of[dst] = moved
        self._rows -= 1
        if self._dead * _COMPACT_SHARE > self._codes.ntotal:
            self._compact()

    def _compact(self) -> None:
        """Drop the dead codes (faiss keeps the others in order) and repack the scan's copy."""
        total = int(self._codes.ntotal)
        rows = self._row_of[:total]
        self._codes.remove_ids(faiss.IDSelectorBatch(np.flatnonzero(rows < 0)))
        self._scan = _packed(self._codes)
        alive = rows[rows >= 0]
        self._row_of[: len(alive)] = alive
        self._slot_of[alive] = np.arange(len(alive))
        self._dead = 0

    def candidates(self, probes: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
        """The row numbers of up to k candidates of each probe, all probes together (unique)."""
        if self._rows == 0 or len(probes) == 0:
            return np.empty(0, dtype=np.intp)
        _one_thread()
        query = np.ascontiguousarray(probes, dtype=np.float32)
        _, slots = self._scan.search(query, min(k, int(self._scan.ntotal)))
        rows = self._row_of[slots[slots >= 0]]
        return np.unique(rows[rows >= 0]).astype(np.intp)


def _packed(codes: faiss.IndexPQ) -> faiss.IndexPQFastScan:
    """The fast scan's packed copy of `codes` (its constructor from an `IndexPQ`)."""
    # faiss's type stub lists only the (d, M, nbits) constructor of the C++ overloads.
    return faiss.IndexPQFastScan(codes)  # type: ignore[arg-type]


def _put(
    array: npt.NDArray[np.int64], at: int, values: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """`array` with `values` written from `at` on, grown by doubling when it is too short."""
    end = at + len(values)
    if end > len(array):
        grown = np.empty(max(end, 2 * len(array)), dtype=np.int64)
        grown[: len(array)] = array
        array = grown
    array[at:end] = values
    return array


class CandidateBuild:
    """Codes being built from `rows` on a background thread; changes meanwhile are kept.

    The owner goes on answering with its exact scan and tells this build every `add` and
    `move` it makes; `finished` replays them onto the built codes (on the owner's thread, so
    the owner needs no lock) and hands them over. `rows` must not change while the build
    runs: a gallery whose rows move passes a copy (float16 is enough for coarse codes).
    """

    def __init__(self, rows: npt.NDArray[np.floating[Any]]) -> None:
        """Start building the codes of `rows` (numbered from 0)."""
        self._rows: npt.NDArray[np.floating[Any]] | None = rows
        self._built: AnnCandidates | None = None
        self._changes: list[tuple[int, int | npt.NDArray[np.float32]]] = []
        self._failed = False
        self._thread = threading.Thread(target=self._build, name="ann-build", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        # Linux nice is per thread.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _BUILD_NICE)
        try:
            assert self._rows is not None  # noqa: S101 (set until this build ends)
            built = AnnCandidates(self._rows)
            built.add(0, self._rows)
            self._built = built
        except (MemoryError, RuntimeError, ValueError) as exc:
            # The exact scan goes on answering: slower, never wrong.
            _log.warning("the candidate codes could not be built (%s); exact scan stays", exc)
            self._failed = True
        finally:
            self._rows = None

    def add(self, first_row: int, rows: npt.NDArray[np.float32]) -> None:
        """The owner added `rows` from `first_row` on (replayed once built)."""
        self._changes.append((first_row, np.array(rows, dtype=np.float32)))

    def move(self, src: int, dst: int) -> None:
        """The owner moved row `src` to `dst` (replayed once built, as `AnnCandidates.move`)."""
        self._changes.append((src, dst))

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait up to `timeout_s` (None: until done) for the build; True when it is over."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def finished(self) -> AnnCandidates | None:
        """The codes with every change replayed once the build is over, else None.

        None for good when the build failed: the owner's exact scan stays in use.
        """
        if self._thread.is_alive() or self._failed or self._built is None:
            return None
        for first, change in self._changes:
            if isinstance(change, int):
                self._built.move(first, change)
            else:
                self._built.add(first, change)
        self._changes.clear()
        return self._built


class CandidateSlot:
    """A gallery's candidate codes: none, being built in the background, or in use.

    The 1:N index and the watchlist gallery hold one each: they tell it every row they add
    or move (forwarded to the build or the codes, whichever there is) and ask `codes()`
    before a search; until a build is over the answer is None and they scan exactly.
    """

    __slots__ = ("_ann", "_building")

    def __init__(self) -> None:
        """An empty slot: no codes and no build."""
        self._ann: AnnCandidates | None = None
        self._building: CandidateBuild | None = None

    def __bool__(self) -> bool:
        """True once codes are built or being built (they follow the gallery's changes)."""
        return self._ann is not None or self._building is not None

    def build(self, rows: npt.NDArray[np.floating[Any]]) -> None:
        """Start building the codes of `rows` in the background (see `CandidateBuild`)."""
        self._building = CandidateBuild(rows)

    def add(self, first_row: int, rows: npt.NDArray[np.float32]) -> None:
        """The gallery added `rows` from `first_row` on."""
        follower = self._follower()
        if follower is not None:
            follower.add(first_row, rows)

    def move(self, src: int, dst: int) -> None:
        """The gallery moved row `src` to `dst`."""
        follower = self._follower()
        if follower is not None:
            follower.move(src, dst)

    def _follower(self) -> AnnCandidates | CandidateBuild | None:
        return self._ann if self._ann is not None else self._building

    def codes(self) -> AnnCandidates | None:
        """The codes once built (their build's changes replayed), else None (scan exactly)."""
        if self._building is not None:
            built = self._building.finished()
            if built is not None:
                self._ann, self._building = built, None
        return self._ann

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait up to `timeout_s` for codes being built; True when searches use codes."""
        if self._building is not None:
            self._building.wait(timeout_s)
        return self.codes() is not None
