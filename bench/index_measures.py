"""What bench/bench_index.py measures of each method, and how it prints it.

Latency, agreement with the exact search, memory, and the human and FIGURE rows
(bench/runner.py).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]
THREADS = (1, 2)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def latencies(call: Callable[[Array], object], probes: Array) -> tuple[float, float, float]:
    """Wall p50 and p95 (ms) and the p50 of the calling thread's CPU time (ms).

    The CPU time is what a probe costs whatever the machine's load (on the shared machine a
    niced process waits for a core far longer than it computes); with more than one
    library thread it counts the calling thread only.
    """
    times, cpu = [], []
    for p in probes:
        t, c = time.perf_counter(), time.thread_time()
        call(p)
        cpu.append((time.thread_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(times, n=20)
    return statistics.median(times), q[18], statistics.median(cpu)


def reranked(gallery: Array, probes: Array, cands: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """The exact (float64) nearest of each probe's candidates (-1 keys skipped)."""
    best = np.empty(len(probes), dtype=np.int64)
    for i, (p, c) in enumerate(zip(probes, cands, strict=True)):
        c = c[c >= 0]
        d = np.linalg.norm(gallery[c].astype(np.float64) - p, axis=1)
        best[i] = c[int(np.argmin(d))]
    return best


ANCHOR: dict[int, float] = {}
GOAL_MS, GOAL_AGREEMENT = 5.0, 99.9


def row(
    name: str,
    n: int,
    lat: dict[int, tuple[float, float, float]],
    agree: str,
    mem: float,
    extra: str,
) -> None:
    """One human row and one FIGURE row (bench/runner.py) per method and size."""
    l1, l2 = lat[1], lat.get(2)
    two = f"{l2[0]:7.3f}/{l2[1]:7.3f} ms" if l2 else "(one thread)"
    print(
        f"{n:>9,} {name:<22} p50/p95 1t {l1[0]:7.3f}/{l1[1]:7.3f} ms (CPU p50 {l1[2]:.3f} ms)"
        f"  2t {two}  top-1 {agree}  mem {mem:6.0f} MB  {extra}",
        flush=True,
    )
    ANCHOR.setdefault(n, l1[0])
    worst = max(l1[1], l2[1]) if l2 else l1[1]
    met = (
        ""
        if n < 1_000_000
        else ("yes" if worst <= GOAL_MS and float(agree.strip(" %")) >= GOAL_AGREEMENT else "no")
    )
    print(
        f"FIGURE index|{name} p50 1 thread, {n:,} templates"
        f" (p95 {worst:.2f} ms, top-1 {agree.strip()},"
        f" {mem:.0f} MB)|{l1[0]:.3f}|ms|exact float32 numpy p50|{ANCHOR[n]:.3f}"
        f"|<= 5 ms p95 and >= 99.9% top-1 at 1M|{met}",
        flush=True,
    )


MATES = 0  # the first MATES probes are genuine (bench_index.probe_set sets it)


def mates_agreement(found: npt.NDArray[Any], truth: npt.NDArray[np.int64]) -> str:
    """Agreement on the genuine probes alone: the ones whose top-1 a threshold can accept."""
    return agreement(found[:MATES], truth[:MATES]).strip()


def agreement(found: npt.NDArray[Any], truth: npt.NDArray[np.int64]) -> str:
    return f"{100 * float(np.mean(found == truth)):7.3f}%"


def search_one(index: Any, k: int, probe: Array) -> object:
    return index.search(probe[None], k)


def faiss_latencies(index: Any, k: int, probes: Array) -> dict[int, tuple[float, float, float]]:
    """`latencies` of a faiss index's one-probe search at each of THREADS OpenMP threads.

    Leaves faiss at 2 threads, for the batch searches that follow.
    """
    import faiss

    lat = {}
    for th in THREADS:
        faiss.omp_set_num_threads(th)
        lat[th] = latencies(partial(search_one, index, k), probes)
    faiss.omp_set_num_threads(2)
    return lat
