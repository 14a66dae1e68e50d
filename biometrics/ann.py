"""Approximate nearest-neighbour candidates for 1:N and watchlist search (usearch HNSW).

An exact scan of a million templates reads 512 MB per probe (tens of milliseconds); an
HNSW graph finds the nearest few in well under a millisecond. The graph only proposes
candidates: every caller re-ranks them with the exact distance and decides on that, so a
threshold means the same as with the exact scan. `CANDIDATES` is how many the graph
proposes; with the search beam of 512, bench/bench_index.py measured the top-1 after
re-ranking them equal to the exact search's on 99.91% of 10,000 probes at 100,000
templates (99.92% of the genuine ones, mates near the thresholds included; beam 256:
99.78%). docs/performance.md has the figures and why usearch.

Below `ANN_MIN_ROWS` the exact scan is faster than keeping a graph and stays in use.

The graph is built on a background thread (`GraphBuild`): linking a million rows takes
minutes on 2 cores, and a gallery waiting for it could not answer. Until it is done the
gallery keeps answering with its exact scan (the same decisions, only slower); the changes
made meanwhile are kept and replayed onto the graph before it is first used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any

import numpy as np
import numpy.typing as npt
from usearch.index import BatchMatches, Index

__all__ = [
    "ANN_MIN_ROWS",
    "CANDIDATES",
    "AnnCandidates",
    "GraphBuild",
    "GraphSlot",
    "usearch_index",
]

_log = logging.getLogger(__name__)

DIM = 128
# Candidates proposed per probe (re-ranked exactly by the caller).
CANDIDATES = 32
# Below this many rows the exact scan stays. At 100,000 it is as fast as the graph (2.7 against
# 2.4 ms p50, bench/bench_index.py) while building the graph takes minutes on 2 cores: the
# graph pays only for galleries far larger, until it is built in the background.
ANN_MIN_ROWS = 500_000
# HNSW: 32 links per node, wide insert and search beams (recall over speed: the search
# is far under its budget at these settings; see docs/performance.md).
_CONNECTIVITY = 32
_EXPANSION_ADD = 256
_EXPANSION_SEARCH = 512
_PARALLEL_ROWS = 20_000
# The background build yields the CPU to the gate's own work (detection, decisions).
_BUILD_NICE = 10


def usearch_index() -> Index:
    """An empty HNSW index of 128-d templates, squared Euclidean, stored as float16.

    float16 halves the memory of the float32 rows; it only orders candidates, never decides.
    """
    return Index(
        ndim=DIM,
        metric="l2sq",
        dtype="f16",
        connectivity=_CONNECTIVITY,
        expansion_add=_EXPANSION_ADD,
        expansion_search=_EXPANSION_SEARCH,
    )


class AnnCandidates:
    """The graph over a gallery's rows, keyed by row number (the caller keeps rows in step)."""

    def __init__(self) -> None:
        """An empty graph."""
        self._index = usearch_index()

    def __len__(self) -> int:
        """Return the number of rows in the graph."""
        return len(self._index)

    def add(self, first_row: int, rows: npt.NDArray[np.floating[Any]]) -> None:
        """Add rows numbered from `first_row` on (float32, or float16 as the graph stores)."""
        if len(rows):
            keys = np.arange(first_row, first_row + len(rows), dtype=np.uint64)
            # One thread builds the same graph every time (a test's outcome cannot vary
            # run to run); the second core pays only for a bulk load.
            threads = 2 if len(rows) >= _PARALLEL_ROWS else 1
            self._index.add(keys, rows, threads=threads)

    def move(self, src: int, dst: int) -> None:
        """Row `src` now lives at `dst` (whose old row is gone); `src` is gone too."""
        self._index.remove(dst)
        if src != dst:
            self._index.rename(src, dst)

    def candidates(self, probes: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
        """The row numbers of up to k candidates of each probe, all probes together (unique)."""
        if len(self._index) == 0 or len(probes) == 0:
            return np.empty(0, dtype=np.intp)
        found = self._index.search(probes, min(k, len(self._index)), threads=1)
        if not isinstance(found, BatchMatches):  # one probe: its matches alone, all valid
            return np.unique(np.asarray(found.keys).astype(np.intp))
        keys = np.asarray(found.keys).reshape(len(probes), -1)
        counts = np.asarray(found.counts).reshape(-1)
        valid = np.concatenate([keys[i, :c] for i, c in enumerate(counts)])
        return np.unique(valid.astype(np.intp))


class GraphBuild:
    """A graph being built from `rows` on a background thread; changes meanwhile are kept.

    The owner goes on answering with its exact scan and tells this build every `add` and
    `move` it makes; `finished` replays them onto the built graph (on the owner's thread, so
    the owner needs no lock) and hands it over. `rows` must not change while the build runs:
    a gallery whose rows move passes a copy (float16 is enough: the graph stores float16).
    """

    def __init__(self, rows: npt.NDArray[np.floating[Any]]) -> None:
        """Start building the graph of `rows` (numbered from 0)."""
        self._rows: npt.NDArray[np.floating[Any]] | None = rows
        self._graph = AnnCandidates()
        self._changes: list[tuple[int, int | npt.NDArray[np.float32]]] = []
        self._failed = False
        self._thread = threading.Thread(target=self._build, name="ann-graph-build", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        # Linux nice is per thread (and usearch's worker threads inherit it).
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _BUILD_NICE)
        try:
            assert self._rows is not None  # noqa: S101 (set until this build ends)
            self._graph.add(0, self._rows)
        except (MemoryError, RuntimeError, ValueError) as exc:
            # The exact scan goes on answering: slower, never wrong.
            _log.warning("the candidate graph could not be built (%s); exact scan stays", exc)
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
        """The graph with every change replayed once the build is over, else None.

        None for good when the build failed: the owner's exact scan stays in use.
        """
        if self._thread.is_alive() or self._failed:
            return None
        for first, change in self._changes:
            if isinstance(change, int):
                self._graph.move(first, change)
            else:
                self._graph.add(first, change)
        self._changes.clear()
        return self._graph


class GraphSlot:
    """A gallery's candidate graph: none, one being built in the background, or one in use.

    The 1:N index and the watchlist gallery hold one each: they tell it every row they add
    or move (forwarded to the build or the graph, whichever there is) and ask `graph()`
    before a search; until a build is over the answer is None and they scan exactly.
    """

    __slots__ = ("_ann", "_building")

    def __init__(self) -> None:
        """An empty slot: no graph and no build."""
        self._ann: AnnCandidates | None = None
        self._building: GraphBuild | None = None

    def __bool__(self) -> bool:
        """True once a graph is built or being built (it follows the gallery's changes)."""
        return self._ann is not None or self._building is not None

    def build(self, rows: npt.NDArray[np.floating[Any]]) -> None:
        """Start building the graph of `rows` in the background (see `GraphBuild`)."""
        self._building = GraphBuild(rows)

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

    def _follower(self) -> AnnCandidates | GraphBuild | None:
        return self._ann if self._ann is not None else self._building

    def graph(self) -> AnnCandidates | None:
        """The graph once built (its build's changes replayed), else None (scan exactly)."""
        if self._building is not None:
            built = self._building.finished()
            if built is not None:
                self._ann, self._building = built, None
        return self._ann

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait up to `timeout_s` for a graph being built; True when searches use a graph."""
        if self._building is not None:
            self._building.wait(timeout_s)
        return self.graph() is not None
