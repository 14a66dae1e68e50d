"""Carrying a generation over a change while its preload is still adding to it.

At 100,000 people the background preload was still filling the current generation when a
person's change came in; `Generation.without` iterated the live dicts and the request
failed with "dictionary changed size during iteration" (HTTP 500 on a gate's replica
request, bench_port_scale). The preload's insert in the middle of the read is made here
deterministically by a dict that adds an entry as it is read.
"""

from collections.abc import Iterator
from typing import Any

from central_api.decision_data.cache import DataChanges, Generation


class _FilledWhileRead(dict[Any, Any]):
    """A generation's dict that the preload adds to while someone reads it."""

    def items(self) -> Iterator[tuple[Any, Any]]:  # type: ignore[override]
        for n, item in enumerate(super().items()):
            if n == 1:
                self[("badge", "preloaded")] = None  # the preload's insert, mid-read
            yield item


def test_a_generation_is_carried_while_its_preload_adds_entries() -> None:
    credentials = _FilledWhileRead({("badge", f"B{n}"): None for n in range(5)})
    people = _FilledWhileRead({f"P{n}": None for n in range(5)})
    old = Generation(version=1, credentials=credentials, people=people)
    touched = DataChanges(people=frozenset({"P0"}), credential_refs=frozenset({"B0"}))
    carried = old.without(touched, version=2)
    assert carried.version == 2
    assert set(carried.credentials) == {("badge", f"B{n}") for n in range(1, 5)}
    assert set(carried.people) == {f"P{n}" for n in range(1, 5)}
