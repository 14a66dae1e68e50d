"""What a gate's sync writes to its disk: the whole replica (before) or a journal record.

usage: .venv/bin/python bench/bench_replica_save.py [--people 100000] [--repeats 3]

A sealed replica (AES-GCM, as `replica_key_env` makes it) of N people, each with a
badge and a face template, saved through `ReplicaStore` in a temporary folder:
- the anchor, in the same run: the whole file written after a sync, as every sync did
  before the journal (and as the first save and a full snapshot still do);
- a sync whose delta adds one badge: one journal record (the save timed, not the delta's
  application, which the sync does either way);
- a sync that changed nothing (the periodic one): a record of its time only;
- a restart: loading the whole file alone, and with a journal of MAX_DELTAS deltas.
Figures: CPU seconds of this thread (median of the repeats) and the bytes written.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from gate_agent.decision.replica_journal import MAX_DELTAS
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_protocol.records import (
    AccessGrant,
    CredentialKind,
    CredentialRecord,
    PersonKind,
    PersonRecord,
)
from gate_protocol.replica import FaceTemplateRecord, ReplicaSnapshot, apply_delta
from testkit.agent.doubles import ZONE, delta_after, make_snapshot

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def replica(people: int) -> ReplicaSnapshot:
    rng = np.random.default_rng(4)
    faces = rng.standard_normal((people, 128))
    faces *= 1.4 / np.linalg.norm(faces, axis=1, keepdims=True)
    ids = [f"P{i:06d}" for i in range(people)]
    grant = AccessGrant(zone_id=ZONE)
    return make_snapshot().model_copy(
        update={
            "persons": tuple(
                PersonRecord(person_id=p, kind=PersonKind.STAFF, grants=(grant,)) for p in ids
            ),
            "credentials": tuple(
                CredentialRecord(kind=CredentialKind.BADGE, ref=f"{100000 + i}", person_id=p)
                for i, p in enumerate(ids)
            ),
            "templates": tuple(
                FaceTemplateRecord(
                    template_id=f"T{i:06d}",
                    person_id=p,
                    encoding_b64=base64.b64encode(faces[i].astype("<f4").tobytes()).decode(),
                )
                for i, p in enumerate(ids)
            ),
        }
    )


def cpu(call: Callable[[], object]) -> float:
    start = time.thread_time()
    call()
    return time.thread_time() - start


def written(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def one_badge_more(
    store: ReplicaStore, current: ReplicaSnapshot, n: int
) -> tuple[ReplicaSnapshot, float]:
    """A sync whose delta adds one badge, saved as the sync worker saves it (save timed)."""
    badge = CredentialRecord(kind=CredentialKind.BADGE, ref=f"X{n}", person_id="P000001")
    delta = delta_after(current, credentials=(badge,))
    after = apply_delta(current, delta)
    stored = StoredReplica(snapshot=after, last_sync_at=T0 + timedelta(minutes=n))
    return after, cpu(lambda: store.save(stored, delta=delta))


def measure(folder: Path, key: bytes, snapshot: ReplicaSnapshot, repeats: int) -> dict[str, float]:
    """Every figure of the docstring, from saves and loads in `folder`."""
    store = ReplicaStore(folder / "replica.json", key=key)
    whole = StoredReplica(snapshot=snapshot, last_sync_at=T0)
    out = {"whole s": statistics.median(cpu(lambda: store.save(whole)) for _ in range(repeats))}
    out["whole bytes"] = written(folder)
    current, seconds, sizes = snapshot, [], []
    for n in range(1, repeats + 1):
        before = written(folder)
        current, spent = one_badge_more(store, current, n)
        seconds.append(spent)
        sizes.append(written(folder) - before)
    out["delta s"], out["delta bytes"] = statistics.median(seconds), statistics.median(sizes)
    nothing = delta_after(current).model_copy(update={"version": current.version})
    later = StoredReplica(snapshot=current, last_sync_at=T0 + timedelta(hours=1))
    before = written(folder)
    out["sync s"] = cpu(lambda: store.save(later, delta=nothing))
    out["sync bytes"] = written(folder) - before
    store.save(StoredReplica(snapshot=current, last_sync_at=T0))  # whole: the journal is empty
    out["load whole s"] = cpu(lambda: ReplicaStore(folder / "replica.json", key=key).load())
    for n in range(MAX_DELTAS):
        current, _ = one_badge_more(store, current, 100 + n)
    loaded: list[StoredReplica | None] = []
    reader = ReplicaStore(folder / "replica.json", key=key)
    out["load journal s"] = cpu(lambda: loaded.append(reader.load()))
    if loaded[0] is None or loaded[0].snapshot != current:
        raise SystemExit("the replica loaded with its journal is not the one saved")
    return out


def main() -> None:
    """Time the whole write, the journal's records and the loads; print FIGURE lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.people < 1 or args.repeats < 1:
        raise SystemExit("--people and --repeats must be at least 1")
    snapshot = replica(args.people)
    with tempfile.TemporaryDirectory() as tmp:
        f = measure(Path(tmp), bytes(range(32)), snapshot, args.repeats)
    mb = 1e6
    print(f"{args.people} people with a badge and a face each; sealed; thread CPU")
    print(f"  whole write: {f['whole s']:.3f} s, {f['whole bytes'] / mb:.1f} MB")
    print(f"  a one-badge delta: {f['delta s']:.4f} s, {f['delta bytes']:.0f} bytes")
    print(f"  a sync that changed nothing: {f['sync s']:.4f} s, {f['sync bytes']:.0f} bytes")
    print(
        f"  load: whole file {f['load whole s']:.2f} s; with {MAX_DELTAS} deltas in the"
        f" journal {f['load journal s']:.2f} s"
    )
    anchor = f"whole write|{f['whole s']:.4f}"
    print(f"FIGURE replica_save|a one-badge delta saved|{f['delta s']:.4f}|s CPU|{anchor}||")
    print(
        f"FIGURE replica_save|a sync that changed nothing saved|{f['sync s']:.4f}|s CPU|{anchor}||"
    )
    print(
        f"FIGURE replica_save|bytes written for a one-badge delta|{f['delta bytes']:.0f}|bytes|"
        f"whole write|{f['whole bytes']:.0f}||"
    )
    print(
        f"FIGURE replica_save|load with {MAX_DELTAS} journal deltas|{f['load journal s']:.3f}|"
        f"s CPU|whole file alone|{f['load whole s']:.3f}||"
    )


if __name__ == "__main__":
    main()
