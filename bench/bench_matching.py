"""1:N matching: face_recognition.face_distance against biometrics.TemplateIndex.

usage: .venv/bin/python bench/bench_matching.py [--sizes 10000,100000] [--full] [--repeats 5]

--full adds 1,000,000 templates (about 1.5 GB for the float64 baseline matrix plus its
2 GB temporaries, and 512 MB for the index). The baseline is what a face_recognition
user writes: a float64 (N, 128) array of encodings and face_distance() over all of it.
Ours: TemplateIndex.identify() (float32 blocks, precomputed norms, exact re-ranking of the
shortlist). Times are medians; peak memory is what tracemalloc saw allocated during the
call (numpy reports its buffers to tracemalloc); the index size is its own arrays.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import numpy as np
from face_recognition import face_distance

from biometrics import IdentifyResult, TemplateIndex

TEMPLATES_PER_PERSON = 4


def timed(call: Callable[[], object], repeats: int) -> tuple[float, int, object]:
    times = []
    result: object = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak, result


def build(n: int, rng: np.random.Generator) -> tuple[TemplateIndex, np.ndarray]:
    # The exact scan, as this row has always measured it (figures comparable over time);
    # the candidate codes used from 500,000 templates on are measured by bench_index.
    index = TemplateIndex(ann_min_rows=2**62)
    baseline = np.empty((n, 128), dtype=np.float64)
    step = 100_000
    for start in range(0, n, step):
        rows = (rng.standard_normal((min(step, n - start), 128)) * 0.09).astype(np.float32)
        people = [f"person-{(start + i) // TEMPLATES_PER_PERSON}" for i in range(len(rows))]
        index.add_many(people, rows)
        baseline[start : start + len(rows)] = rows
    return index, baseline


def index_bytes(index: TemplateIndex) -> int:
    arrays = [*index._blocks, *index._norms, *index._owners]  # noqa: SLF001 - measuring
    return sum(a.nbytes for a in arrays)


def measure(n: int, rng: np.random.Generator, repeats: int) -> str:
    index, baseline = build(n, rng)
    probe = baseline[rng.integers(n)] + rng.standard_normal(128) * 0.03
    base_s, base_peak, base_d = timed(partial(face_distance, baseline, probe), repeats)
    ours_s, ours_peak, found = timed(partial(index.identify, probe), repeats)
    distances = np.asarray(base_d)
    assert isinstance(found, IdentifyResult)  # noqa: S101
    same = found.distance == float(distances.min())
    return (
        f"{n:9,d}  {base_s * 1000:9.1f} ms {base_peak / 2**20:8.0f} |"
        f" {ours_s * 1000:6.2f} ms {ours_peak / 2**20:8.1f} {index_bytes(index) / 2**20:9.0f} |"
        f" {base_s / ours_s:7.1f}x  {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--full", action="store_true", help="also 1,000,000 templates")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([1_000_000] if args.full else [])
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}; repeats {args.repeats}; medians")
    header = (
        "templates  face_distance   peak MB | identify   peak MB  index MB | speed-up  same top-1"
    )
    print(header)
    for n in sizes:
        print(measure(n, rng, args.repeats), flush=True)


if __name__ == "__main__":
    main()
