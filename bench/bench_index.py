"""1:N search at 100k and 1M templates: exact float32 (anchor), the product's codes, rivals.

usage: .venv/bin/python bench/bench_index.py [--sizes 100000,1000000] [--probes 10000]
       [--methods codes,scans,usearch,faiss,ivf]

`codes` is the product (biometrics/ann.py): TemplateIndex's search with 4-bit product-
quantised candidate codes re-ranked exactly, timed and checked end to end. The rivals,
measured when the product's index was chosen (docs/performance.md): exact float16/int8
scans (`scans`), usearch's HNSW graph as the product used it before (`usearch`; a 1M
build takes most of an hour of both cores here), faiss's HNSW (`faiss`) and IVF (`ivf`).

Templates: the real encodings of ../shared/data (bench/watchlist_data.py's cache of the
LFW dev fold and faces/ photos, encoded by the product's pipeline) are the seeds. The
gallery is those real entries plus synthetic identities drawn from a Gaussian with the
seeds' mean and covariance (so norms, per-dimension spread and the impostor distances are
those of real encodings: the script prints both medians). Probes, of which the agreement
with exact search is counted:
- every real passage (plain, mirrored, cropped, blurred, JPEG, darker) of a real entry;
- synthetic mates: a gallery row moved by a distance drawn uniformly from 0.20 to 0.60
  (the watchlist, 1:N and 1:1 thresholds 0.255, 0.42, 0.53 all inside), along a direction
  drawn from the same covariance: the hard cases, near the thresholds;
- impostors: fresh identities, nobody's mate.
Agreement is with the exact float32 top-1 (same row); "ANN+rerank" is what the product
does (biometrics/ann.py): k candidates from the index, re-ranked by the exact distance.
Single-probe latencies are p50/p95 over --timed probes, 1 and 2 threads. Memory is the
process RSS growth while building (what the gate pays). Build: all rows; add: 1,000 new
rows to the built index; remove: 1,000 rows.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from bench import index_measures as measures
from bench.index_measures import Array, agreement, latencies, mates_agreement, row
from bench.index_rivals import ann_faiss, ann_ivf, ann_usearch, exact_scans
from bench.watchlist_data import PASSAGE_KINDS, load_encodings
from biometrics import TemplateIndex, WatchlistGallery, WatchlistHit
from biometrics.ann import CANDIDATES, AnnCandidates
from gate_protocol.thresholds import WATCHLIST_THRESHOLD

# The exact answers of a size's probes are cached here (the gallery and probes are drawn
# from fixed seeds): at 1M they take minutes of a shared, loaded machine.
TRUTH_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "portgate" / "bench_index"
)


def templates(n: int, rng: np.random.Generator) -> tuple[Array, Array, Array]:
    """(gallery, probes_real_mates, real_mate_rows): real entries + Gaussian identities."""
    _, enc = load_encodings(progress=lambda _: None)
    entry = enc["entry"]
    ok = np.isfinite(entry[:, 0])
    seeds = entry[ok]
    mean, cov = seeds.mean(axis=0), np.cov(seeds, rowvar=False)
    chol = np.linalg.cholesky(cov + np.eye(128) * 1e-6)
    gallery = np.empty((n, 128), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        gallery[start : start + m] = mean + rng.standard_normal((m, 128)) @ chol.T
    rows = rng.choice(n, size=len(seeds), replace=False)
    gallery[rows] = seeds
    probes, mate_rows = [], []
    for kind in PASSAGE_KINDS:
        passages = enc[kind][ok]
        good = np.isfinite(passages[:, 0])
        probes.append(passages[good])
        mate_rows.append(rows[good])
    real_d = np.linalg.norm(seeds[:, None] - seeds[None], axis=2)[np.triu_indices(len(seeds), 1)]
    synth_d = np.linalg.norm(gallery[:2000:2] - gallery[1:2000:2], axis=1)
    print(
        f"templates: {len(seeds)} real entries + {n - len(seeds):,} Gaussian identities;"
        f" median impostor distance real {np.median(real_d):.3f} synthetic"
        f" {np.median(synth_d):.3f}; median norm real"
        f" {np.median(np.linalg.norm(seeds, axis=1)):.3f}"
        f" synthetic {np.median(np.linalg.norm(gallery[:2000], axis=1)):.3f}"
    )
    return gallery, np.concatenate(probes), np.concatenate(mate_rows)


def probe_set(gallery: Array, real: Array, count: int, rng: np.random.Generator) -> Array:
    """Real passages, then synthetic mates at 0.20-0.60, then impostors (count in all)."""
    if count < len(real) + 3:
        raise SystemExit(
            f"--probes {count} is too few: the {len(real):,} real passages come first, then at"
            f" least one synthetic mate and one impostor; ask for {len(real) + 3:,} or more"
        )
    mates = (count - len(real)) * 2 // 3
    measures.MATES = len(real) + mates
    rows = gallery[rng.integers(len(gallery), size=mates)]
    steps = (gallery[rng.integers(len(gallery), size=mates)] - gallery.mean(axis=0)).astype(
        np.float64
    )
    steps /= np.linalg.norm(steps, axis=1, keepdims=True)
    near = rows + steps * rng.uniform(0.20, 0.60, size=(mates, 1))
    others = count - len(real) - mates
    # (x_b - x_c) / sqrt(2) of two Gaussian identities is a fresh one around the mean.
    pick = rng.integers(len(gallery), size=(2, others))
    imp = gallery.mean(axis=0) + (gallery[pick[0]] - gallery[pick[1]]) / np.sqrt(2.0)
    return np.concatenate([real, near, imp]).astype(np.float32)


def exact_top(gallery: Array, probes: Array, k: int = 1) -> npt.NDArray[np.int64]:
    """Exact float32 top-k rows (BLAS matmul in chunks) and the squared distances."""
    norms = np.einsum("ij,ij->i", gallery, gallery)
    out = np.empty((len(probes), k), dtype=np.int64)
    for s in range(0, len(probes), 256):
        d = norms - 2.0 * (probes[s : s + 256] @ gallery.T)
        part = np.argpartition(d, k - 1, axis=1)[:, :k] if k > 1 else d.argmin(axis=1)[:, None]
        out[s : s + 256] = part
    return out


def cached_truth(gallery: Array, probes: Array, cache: Path) -> npt.NDArray[np.int64]:
    """The exact top-1 of each probe, read from `cache` when this gallery's was kept there."""
    digest = hashlib.sha256(gallery[::997].tobytes() + probes.tobytes()).hexdigest()[:16]
    path = cache / f"truth-{len(gallery)}-{len(probes)}-{digest}.npy"
    if path.is_file():
        print(f"exact answers read from {path}", flush=True)
        return np.asarray(np.load(path), dtype=np.int64)
    t = time.perf_counter()
    truth = exact_top(gallery, probes)[:, 0]
    print(f"exact answers of {len(probes):,} probes: {time.perf_counter() - t:.1f} s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, truth)
    return truth


def measure(
    n: int, count: int, timed: int, rng: np.random.Generator, methods: set[str], cache: Path
) -> None:
    gallery, real, _ = templates(n, rng)
    probes = probe_set(gallery, real, count, rng)
    truth = cached_truth(gallery, probes, cache)
    few = probes[:timed]
    noise = (rng.standard_normal((1000, 128)) * 0.015).astype(np.float32)
    extra_rows = gallery[rng.integers(n, size=1000)] + noise
    # Anchor: exact float32, numpy (BLAS matmul 2 threads; einsum's one-thread loop).
    norms = np.einsum("ij,ij->i", gallery, gallery)
    anchor = {
        2: latencies(lambda p: int(np.argmin(norms - 2.0 * (gallery @ p))), few),
        1: latencies(lambda p: int(np.argmin(norms - 2.0 * np.einsum("ij,j->i", gallery, p))), few),
    }
    row("exact float32 (anchor)", n, anchor, agreement(truth, truth), gallery.nbytes / 2**20, "")
    if "scans" in methods:
        exact_scans(n, gallery, probes, truth, few)
    if "codes" in methods:
        product_codes(n, gallery, probes, truth, few, extra_rows)
    if "usearch" in methods:
        ann_usearch(n, gallery, probes, truth, few, extra_rows)
    if "faiss" in methods:
        ann_faiss(n, gallery, probes, truth, few, extra_rows)
    if "ivf" in methods:
        ann_ivf(n, gallery, probes, truth, few, extra_rows)


def product_codes(
    n: int, gallery: Array, probes: Array, truth: Any, few: Array, extra: Array
) -> None:
    """The product: TemplateIndex's 1:N search, its codes proposing rows re-ranked exactly.

    Memory and build are the codes' own (built alone, one thread, as the gate's background
    build does; the re-ranking reads the gallery's float32 rows, which 1:N holds anyway);
    latency, agreement, add and remove go through TemplateIndex.nearest, the gate's 1:N
    search, on one thread (faiss serves one probe on one thread).
    """
    t = time.perf_counter()
    codes = AnnCandidates(gallery)
    codes.add(0, gallery)
    build = time.perf_counter() - t
    # The arrays' own size (RSS growth reads faiss's reuse of the anchor's freed pages).
    mem = codes.nbytes / 2**20
    del codes
    index = TemplateIndex(ann_min_rows=1)  # the codes at every size (the product: from 100k)
    index.add_many([f"g{i}" for i in range(n)], gallery)
    if not index.wait_for_codes(1800):
        raise SystemExit("the candidate codes were not built")

    def top(probe: Array) -> int:
        return index.nearest(probe, k=1)[0][0]

    lat = {1: latencies(top, few)}
    found = np.array([top(p) for p in probes])
    t = time.perf_counter()
    index.add_many([f"x{i}" for i in range(len(extra))], extra)
    add = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(len(extra)):
        index.remove(f"x{i}")
    remove = time.perf_counter() - t
    done = (
        f"build {build:.1f} s, add 1k {add * 1000:.0f} ms, remove 1k {remove * 1000:.0f} ms;"
        f" genuine probes {mates_agreement(found, truth)}; {CANDIDATES} candidates"
    )
    row("codes PQ64x4 (product)", n, lat, agreement(found, truth), mem, done)
    product_watchlist(n, gallery, probes, truth, few, mem)


def product_watchlist(
    n: int, gallery: Array, probes: Array, truth: Any, few: Array, mem: float
) -> None:
    """The watchlist screen over the same gallery with its codes: one encoding per screen.

    A hit is right when it names the exact nearest row and that row is within the
    threshold, and no hit is right when the exact nearest is farther (the strict one-frame
    rule, WATCHLIST_THRESHOLD). `mem`: the codes' size, the same as 1:N's over these rows.
    """
    ids = [f"w{i}" for i in range(n)]
    gallery_codes = WatchlistGallery.from_matrix(ids, gallery, ann_min_rows=1)
    if not gallery_codes.wait_for_codes(1800):
        raise SystemExit("the watchlist's candidate codes were not built")

    def screen(probe: Array) -> object:
        return gallery_codes.screen([probe], threshold=WATCHLIST_THRESHOLD)

    lat = {1: latencies(screen, few)}
    near = np.linalg.norm(gallery[truth].astype(np.float64) - probes, axis=1)
    want = np.where(near <= WATCHLIST_THRESHOLD, truth, -1)
    hits = [screen(p) for p in probes]
    got = np.array([int(h.entry_id[1:]) if isinstance(h, WatchlistHit) else -1 for h in hits])
    done = f"{int(np.sum(want >= 0))} probes within {WATCHLIST_THRESHOLD} of a row"
    row("watchlist codes (product)", n, lat, agreement(got, want), mem, done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--timed", type=int, default=300, help="probes timed one at a time")
    parser.add_argument(
        "--methods",
        default="codes,scans",
        help="which of the anchor's rivals to run",
    )
    parser.add_argument("--cache", type=Path, default=TRUTH_CACHE, help="exact answers kept here")
    args = parser.parse_args()
    print(
        f"numpy {np.__version__}, faiss {faiss.__version__}, usearch {version('usearch')};"
        f" load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for n in (int(s) for s in args.sizes.split(",") if s):
        methods = set(args.methods.split(","))
        measure(n, args.probes, args.timed, np.random.default_rng(n), methods, args.cache)


if __name__ == "__main__":
    main()
