"""The 1:N gallery kept in step with the replica: a refresh equals a fresh build."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from biometrics import TemplateIndex
from gate_agent.face.gallery import build_gallery, refresh_gallery
from gate_protocol.replica import (
    FaceTemplateRecord,
    ReplicaIndex,
    ReplicaSnapshot,
    apply_delta,
    decode_replica,
)
from testkit.agent.doubles import delta_after, make_snapshot

RNG = np.random.default_rng(5)


def face() -> str:
    vector = RNG.standard_normal(128)
    vector *= 1.4 / np.linalg.norm(vector)  # a dlib-like norm
    return base64.b64encode(vector.astype("<f4").tobytes()).decode()


BROKEN = base64.b64encode(bytes(512)).decode()  # norm 0: matches nobody, left out


def snapshot(people: int = 40) -> ReplicaSnapshot:
    templates = [
        FaceTemplateRecord(template_id=f"T{p}-{k}", person_id=f"P{p}", encoding_b64=face())
        for p in range(people)
        for k in range(1 + p % 3)
    ]
    templates.append(FaceTemplateRecord(template_id="TB", person_id="P0", encoding_b64=BROKEN))
    return make_snapshot().model_copy(update={"templates": tuple(templates)})


def contents(gallery: TemplateIndex) -> list[list[tuple[str, float]]]:
    """Every person's distance to a few probes: what any search of the gallery can see."""
    probes = [np.frombuffer(base64.b64decode(face()), "<f4") for _ in range(5)]
    return [
        sorted(
            (c.person_id, round(c.distance, 5))
            for c in gallery.identify(p, candidates=len(gallery)).candidates
        )
        for p in probes
    ]


def same(a: TemplateIndex, b: TemplateIndex) -> bool:
    state = RNG.bit_generator.state
    first = contents(a)
    RNG.bit_generator.state = state  # the same probes for both
    return len(a) == len(b) and first == contents(b)


def test_a_delta_changes_only_the_people_it_touches() -> None:
    base = snapshot(people=100)  # 7 people change: under a tenth, so changed in place
    delta = delta_after(
        base,
        templates=(
            FaceTemplateRecord(template_id="T1-0", person_id="P1", encoding_b64=face()),  # new face
            FaceTemplateRecord(template_id="T3-9", person_id="P3", encoding_b64=face()),  # one more
            FaceTemplateRecord(template_id="TN", person_id="PN", encoding_b64=face()),  # new person
            FaceTemplateRecord(template_id="TX", person_id="P4", encoding_b64=BROKEN),
        ),
        deleted_template_ids=("T2-0", "T2-1", "T2-2", "T5-1"),
        deleted_person_ids=("P6",),
    )
    after = apply_delta(base, delta)
    before_index, after_index = ReplicaIndex(base), ReplicaIndex(after)
    gallery = build_gallery(before_index)

    refreshed, change = refresh_gallery(gallery, before_index, after_index)

    assert refreshed is gallery and not change.rebuilt
    assert change.removed == 2  # P2 (every template deleted) and P6 (the person deleted)
    # P1 (face replaced), P3 (one more), PN (new), P4 (a broken one more), P5 (one fewer)
    assert change.added == 5
    assert same(refreshed, build_gallery(after_index))
    assert not any(person in {"P2", "P6"} for person, _ in contents(refreshed)[0])


def test_the_same_replica_fetched_whole_again_changes_nothing() -> None:
    base = snapshot()
    again = decode_replica(base.model_dump_json())  # new record objects, equal values
    assert isinstance(again, ReplicaSnapshot)
    gallery = build_gallery(ReplicaIndex(base))
    refreshed, change = refresh_gallery(gallery, ReplicaIndex(base), ReplicaIndex(again))
    assert (change.removed, change.added, change.rebuilt) == (0, 0, False)
    # 14 people with one template, 13 with two, 13 with three; the broken one left out.
    assert refreshed is gallery and len(refreshed) == 14 + 13 * 2 + 13 * 3


def test_a_replica_that_changed_most_people_is_built_anew() -> None:
    base = snapshot()
    other = snapshot()  # every face drawn again
    gallery = build_gallery(ReplicaIndex(base))
    refreshed, change = refresh_gallery(gallery, ReplicaIndex(base), ReplicaIndex(other))
    assert change.rebuilt and refreshed is not gallery
    assert same(refreshed, build_gallery(ReplicaIndex(other)))


@pytest.mark.parametrize("seed", range(5))
def test_random_deltas_in_a_row_keep_the_gallery_equal_to_a_fresh_build(seed: int) -> None:
    rng = np.random.default_rng(seed)
    current = snapshot()
    gallery = build_gallery(ReplicaIndex(current))
    for _ in range(6):
        ids = [t.template_id for t in current.templates]
        people = sorted({t.person_id for t in current.templates})
        upserts = tuple(
            FaceTemplateRecord(
                template_id=str(rng.choice(ids)) if rng.random() < 0.5 else f"N{rng.integers(1e9)}",
                person_id=str(rng.choice(people)) if rng.random() < 0.8 else f"Q{rng.integers(99)}",
                encoding_b64=face() if rng.random() < 0.9 else BROKEN,
            )
            for _ in range(int(rng.integers(0, 4)))
        )
        deleted = tuple(str(i) for i in rng.choice(ids, size=int(rng.integers(0, 3))))
        gone = tuple(str(p) for p in rng.choice(people, size=int(rng.integers(0, 2))))
        after = apply_delta(
            current,
            delta_after(
                current,
                templates=upserts,
                deleted_template_ids=deleted,
                deleted_person_ids=gone,
            ),
        )
        gallery, _ = refresh_gallery(gallery, ReplicaIndex(current), ReplicaIndex(after))
        assert same(gallery, build_gallery(ReplicaIndex(after)))
        current = after
