"""A face-only gate's 1:N gallery when the agent installs a replica: built anew or kept in step.

usage: .venv/bin/python bench/bench_gallery.py [--people 100000] [--repeats 3]

A replica of N people, one template each (random 128-d vectors of a dlib-like norm). The
agent's tracker thread builds its gallery from the first replica and, before this change,
built it again for every replica it installed. Figures (CPU seconds of this thread, median
over the repeats; whatever the machine's load, only this thread's work is counted):
- first replica: ``build_gallery`` against the previous build (per person: decode, read,
  add), which is the anchor, in the same run;
- a delta of one person (one template replaced, through ``apply_delta`` as the agent
  applies it): ``refresh_gallery`` against the previous build of the whole gallery;
- the same replica fetched whole again (equal values, new record objects, as after a
  full sync): ``refresh_gallery``, which finds nothing to change.
Each refreshed gallery is checked against a fresh build: same size and the same nearest
person, at the same distance, for a few probes. From ANN_MIN_ROWS people on the galleries
search with their candidate codes, built in the background: the refresh is timed and
checked once they are built, as a delta finds them at a gate.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import statistics
import time
from collections.abc import Callable

import numpy as np

from biometrics import TemplateIndex, template_matrix
from gate_agent.face.gallery import build_gallery, refresh_gallery
from gate_protocol.replica import (
    FaceTemplateRecord,
    ReplicaIndex,
    ReplicaSnapshot,
    apply_delta,
    decode_replica,
)
from testkit.agent.doubles import delta_after, make_snapshot


def previous_build(index: ReplicaIndex) -> TemplateIndex:
    """The gallery as the agent built it before: one person at a time."""
    gallery = TemplateIndex()
    by_person: dict[str, list[bytes]] = {}
    for record in index.snapshot.templates:
        try:
            raw = base64.b64decode(record.encoding_b64, validate=True)
        except (binascii.Error, ValueError):
            continue
        by_person.setdefault(record.person_id, []).append(raw)
    for person_id, templates in by_person.items():
        matrix, _broken = template_matrix(templates)
        if len(matrix):
            gallery.add(person_id, matrix)
    return gallery


def faces(rng: np.random.Generator, n: int) -> list[str]:
    vectors = rng.standard_normal((n, 128))
    vectors *= 1.4 / np.linalg.norm(vectors, axis=1, keepdims=True)
    return [base64.b64encode(v.astype("<f4").tobytes()).decode() for v in vectors]


def replica(people: int, rng: np.random.Generator) -> ReplicaSnapshot:
    records = tuple(
        FaceTemplateRecord(template_id=f"T{i}", person_id=f"P{i}", encoding_b64=encoding)
        for i, encoding in enumerate(faces(rng, people))
    )
    return make_snapshot().model_copy(update={"templates": records})


def one_person_changed(base: ReplicaSnapshot, rng: np.random.Generator) -> ReplicaSnapshot:
    record = FaceTemplateRecord(template_id="T0", person_id="P0", encoding_b64=faces(rng, 1)[0])
    delta = delta_after(base, templates=(record,))
    return apply_delta(base, delta)


def cpu(call: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median thread CPU seconds of `call`, and its last result."""
    spent, result = [], None
    for _ in range(repeats):
        start = time.thread_time()
        result = call()
        spent.append(time.thread_time() - start)
    return statistics.median(spent), result


def agrees(a: TemplateIndex, b: TemplateIndex, rng: np.random.Generator) -> bool:
    for probe in rng.standard_normal((5, 128)) * 0.12:
        x, y = a.identify(probe), b.identify(probe)
        if x.candidates[0].person_id != y.candidates[0].person_id or x.distance != y.distance:
            return False
    return len(a) == len(b)


def figure(name: str, value: float, anchor: str, anchor_value: float) -> None:
    print(f"FIGURE gallery|{name}|{value:.4f}|s CPU|{anchor}|{anchor_value:.4f}||")


def main() -> None:
    """Time the builds and refreshes, check them, print FIGURE lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.people < 10 or args.repeats < 1:
        raise SystemExit("--people must be at least 10 and --repeats at least 1")
    rng = np.random.default_rng(3)
    base = replica(args.people, rng)
    changed = one_person_changed(base, rng)
    fetched = decode_replica(base.model_dump_json())
    assert isinstance(fetched, ReplicaSnapshot)  # noqa: S101 (a snapshot was dumped)
    before, after, again = ReplicaIndex(base), ReplicaIndex(changed), ReplicaIndex(fetched)

    old_s, _ = cpu(lambda: previous_build(before), args.repeats)
    new_s, built = cpu(lambda: build_gallery(before), args.repeats)
    assert isinstance(built, TemplateIndex)  # noqa: S101
    old_delta_s, _ = cpu(lambda: previous_build(after), args.repeats)
    delta_runs = []
    for _ in range(args.repeats):
        fresh = build_gallery(before)
        fresh.wait_for_codes(600)  # a delta meets a gallery whose codes are built
        delta_runs.append(cpu(lambda: refresh_gallery(fresh, before, after), 1))  # noqa: B023
    delta_s = statistics.median(s for s, _ in delta_runs)
    refreshed, change = delta_runs[-1][1]  # type: ignore[misc]
    same_s, _ = cpu(lambda: refresh_gallery(built, before, again), args.repeats)
    print(f"{args.people} people, one template each; thread CPU, median of {args.repeats}")
    print(f"  build, first replica: {new_s:.3f} s (previous build {old_s:.3f} s)")
    print(
        f"  one person changed: refresh {delta_s:.4f} s"
        f" ({change.removed} removed, {change.added} added, rebuilt {change.rebuilt});"
        f" previous: build again {old_delta_s:.3f} s"
    )
    print(f"  same replica fetched whole again: refresh {same_s:.4f} s")
    rebuilt = build_gallery(after)
    rebuilt.wait_for_codes(600)
    ok = agrees(refreshed, rebuilt, rng) and agrees(built, previous_build(before), rng)
    print(f"  refreshed and built galleries agree with fresh builds: {ok}")
    if not ok:
        raise SystemExit("a refreshed gallery differs from a fresh build")
    figure(f"build at {args.people} people", new_s, "previous build", old_s)
    figure("refresh after a one-person delta", delta_s, "previous: build again", old_delta_s)
    figure("refresh after the same replica fetched whole", same_s, "previous: build again", old_s)


if __name__ == "__main__":
    main()
