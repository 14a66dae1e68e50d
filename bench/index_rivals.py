"""The rivals bench/bench_index.py measures against the product's codes.

docs/performance.md has their figures: exact float16/int8 scans, usearch's HNSW graph as
the product used it before the codes, faiss's HNSW and IVF. Each proposes 32 candidates,
re-ranked exactly, as when first measured.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import faiss
import numpy as np

from bench.index_measures import (
    THREADS,
    Array,
    agreement,
    faiss_latencies,
    latencies,
    mates_agreement,
    reranked,
    row,
    rss_mb,
)

# usearch's graph as biometrics/ann.py built it before the codes (kept for comparison).
_HNSW_CONNECTIVITY, _HNSW_EXPANSION_ADD, _HNSW_EXPANSION_SEARCH = 32, 256, 512
# The rivals propose 32 candidates each, as when they were first measured.
_RIVAL_CANDIDATES = 32


def usearch_index() -> Any:
    """The HNSW graph the product used up to 2026-12-07 (f16 vectors, 32 links, beams 256/512)."""
    from usearch.index import Index  # a development dependency, for this comparison only

    return Index(
        ndim=128,
        metric="l2sq",
        dtype="f16",
        connectivity=_HNSW_CONNECTIVITY,
        expansion_add=_HNSW_EXPANSION_ADD,
        expansion_search=_HNSW_EXPANSION_SEARCH,
    )


def exact_scans(n: int, gallery: Array, probes: Array, truth: Any, few: Array) -> None:
    """Faiss's exact float16 and int8 scans (no index to build beyond the quantiser)."""
    scans = (
        ("exact float16 (faiss)", faiss.ScalarQuantizer.QT_fp16),
        ("exact int8 (faiss)", faiss.ScalarQuantizer.QT_8bit),
    )
    for label, qtype in scans:
        before = rss_mb()
        t = time.perf_counter()
        flat = faiss.IndexScalarQuantizer(128, qtype, faiss.METRIC_L2)
        flat.train(gallery[:100_000])
        flat.add(gallery)
        build = time.perf_counter() - t
        mem = rss_mb() - before
        lat = faiss_latencies(flat, 1, few)
        _, got = flat.search(probes, _RIVAL_CANDIDATES)
        agree = agreement(reranked(gallery, probes, got), truth)
        row(label, n, lat, agree, mem, f"build {build:.1f} s (rerank of {_RIVAL_CANDIDATES})")
        del flat


def ann_usearch(
    n: int, gallery: Array, probes: Array, truth: Any, few: Array, extra: Array
) -> None:
    before = rss_mb()
    t = time.perf_counter()
    index = usearch_index()
    index.add(np.arange(n), gallery, threads=2)
    build = time.perf_counter() - t
    mem = rss_mb() - before
    lat = {
        th: latencies(partial(index.search, count=_RIVAL_CANDIDATES, threads=th), few)
        for th in THREADS
    }
    raw = index.search(probes, 1, threads=2).keys[:, 0]
    got = index.search(probes, _RIVAL_CANDIDATES, threads=2).keys.astype(np.int64)
    for wider in (512, 1024):  # the search beam: search time only, the graph stays
        setattr(index, "expansion_search", wider)  # noqa: B010 - its stub says read-only
        more = index.search(probes, _RIVAL_CANDIDATES, threads=2).keys.astype(np.int64)
        wide = reranked(gallery, probes, more)
        p50 = latencies(partial(index.search, count=_RIVAL_CANDIDATES, threads=1), few)[0]
        print(
            f"{n:>9,} usearch search beam {wider}: top-1 {agreement(wide, truth).strip()},"
            f" genuine probes {mates_agreement(wide, truth)}, p50 1t {p50:.3f} ms",
            flush=True,
        )
    setattr(index, "expansion_search", _HNSW_EXPANSION_SEARCH)  # noqa: B010
    t = time.perf_counter()
    index.add(np.arange(n, n + 1000), extra, threads=1)
    add = time.perf_counter() - t
    t = time.perf_counter()
    index.remove(np.arange(n, n + 1000))
    remove = time.perf_counter() - t
    done = f"build {build:.1f} s, add 1k {add * 1000:.0f} ms, remove 1k {remove * 1000:.0f} ms"
    found = reranked(gallery, probes, got)
    agree = agreement(found, truth)
    done += f"; genuine probes {mates_agreement(found, truth)}"
    row(
        "usearch HNSW f16 (before)",
        n,
        lat,
        agree,
        mem,
        f"raw top-1 {agreement(raw, truth)}; {done}",
    )


def ann_faiss(n: int, gallery: Array, probes: Array, truth: Any, few: Array, extra: Array) -> None:
    faiss.omp_set_num_threads(2)
    before = rss_mb()
    t = time.perf_counter()
    index = faiss.IndexHNSWFlat(128, 32)
    index.hnsw.efConstruction = 256
    index.hnsw.efSearch = 256
    index.add(gallery)
    build = time.perf_counter() - t
    mem = rss_mb() - before
    lat = faiss_latencies(index, _RIVAL_CANDIDATES, few)
    raw = index.search(probes, 1)[1][:, 0]
    got = index.search(probes, _RIVAL_CANDIDATES)[1]
    t = time.perf_counter()
    index.add(extra)
    add = time.perf_counter() - t
    done = f"build {build:.1f} s, add 1k {add * 1000:.0f} ms, remove: HNSWFlat has none"
    found = reranked(gallery, probes, got)
    agree = agreement(found, truth)
    done += f"; genuine probes {mates_agreement(found, truth)}"
    row("faiss HNSWFlat f32", n, lat, agree, mem, f"raw top-1 {agreement(raw, truth)}; {done}")


IVF_LISTS = 2048  # about 500 rows a list at 1M (50 at 100k)


def ann_ivf(n: int, gallery: Array, probes: Array, truth: Any, few: Array, extra: Array) -> None:
    """An IVF index of faiss with int8 rows: k-means lists, `nprobe` of them scanned per probe.

    No graph to link: building is a k-means on 100,000 rows and one assignment per row
    (seconds, where an HNSW graph of 1M takes CPU-hours here); rows are added and removed
    in place (`remove_ids`).
    """
    faiss.omp_set_num_threads(2)
    before = rss_mb()
    t = time.perf_counter()
    index = faiss.index_factory(128, f"IVF{IVF_LISTS},SQ8", faiss.METRIC_L2)
    index.train(gallery[:: max(1, n // 100_000)][:100_000])
    index.add(gallery)
    build = time.perf_counter() - t
    mem = rss_mb() - before
    t = time.perf_counter()
    index.add_with_ids(extra, np.arange(n, n + len(extra)))
    add = time.perf_counter() - t
    t = time.perf_counter()
    index.remove_ids(np.arange(n, n + len(extra)))
    remove = time.perf_counter() - t
    done = f"build {build:.1f} s, add 1k {add * 1000:.0f} ms, remove 1k {remove * 1000:.0f} ms"
    for nprobe in (32, 64, 128, 256):
        index.nprobe = nprobe
        lat = faiss_latencies(index, _RIVAL_CANDIDATES, few)
        found = reranked(gallery, probes, index.search(probes, _RIVAL_CANDIDATES)[1])
        agree = agreement(found, truth)
        extra_text = f"{done}; genuine probes {mates_agreement(found, truth)}"
        row(f"faiss IVF{IVF_LISTS} SQ8 nprobe {nprobe}", n, lat, agree, mem, extra_text)
