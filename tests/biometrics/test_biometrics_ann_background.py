"""The candidate codes are built in the background (biometrics/ann.py `CandidateBuild`):
until they are ready 1:N and the watchlist answer with the exact scan, changes made meanwhile
reach the codes, and the answers are the same before and after the switch; a failed build leaves the
exact scan answering."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from biometrics import TemplateIndex, WatchlistGallery, WatchlistHit
from biometrics.ann import AnnCandidates
from gate_protocol.thresholds import DEFAULT_IDENTIFY_THRESHOLD, WATCHLIST_THRESHOLD
from testkit.encodings import encoding_gallery, mates_at

ROWS = 2000
SMALL = 1000
NEVER = 10**9
_BUILDER = "ann-build"


Probes = list[npt.NDArray[np.float64]]


def _mates(rng: np.random.Generator, rows: npt.NDArray[np.float32], threshold: float) -> Probes:
    return list(mates_at(rng, rows, threshold))


@pytest.fixture
def held_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The background build waits for the event before linking its rows."""
    release = threading.Event()
    real_add = AnnCandidates.add

    def add(self: AnnCandidates, first_row: int, rows: npt.NDArray[np.float32]) -> None:
        if threading.current_thread().name == _BUILDER:
            assert release.wait(60)
        real_add(self, first_row, rows)

    monkeypatch.setattr(AnnCandidates, "add", add)
    yield release
    release.set()  # a failing test leaves no builder waiting


class _Counted:
    """Counts the calls of a method and calls it."""

    def __init__(self, method: object) -> None:
        self.method, self.calls = method, 0

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.method(*args, **kwargs)  # type: ignore[operator]


def _decisions(
    exact: TemplateIndex, index: TemplateIndex, probes: Probes
) -> list[tuple[str | None, float]]:
    answers = []
    for probe in probes:
        got = index.identify(probe, threshold=DEFAULT_IDENTIFY_THRESHOLD)
        want = exact.identify(probe, threshold=DEFAULT_IDENTIFY_THRESHOLD)
        assert (got.person_id, got.distance) == (want.person_id, want.distance)
        answers.append((got.person_id, got.distance))
    return answers


def test_identify_answers_by_scan_while_building_and_the_same_by_codes_after(
    held_build: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(11)
    matrix = encoding_gallery(rng, ROWS)
    people = [f"p{i // 2}" for i in range(ROWS)]
    exact, index = TemplateIndex(ann_min_rows=NEVER), TemplateIndex(ann_min_rows=SMALL)
    exact.add_many(people, matrix)
    index.add_many(people, matrix)
    assert not index.wait_for_codes(0)  # held: still building
    scan = _Counted(index.screen)
    monkeypatch.setattr(index, "screen", scan)
    # Changes while the codes build: they must reach them when it is done.
    for person in [f"p{i}" for i in range(0, 200, 4)]:
        assert exact.remove(person) == index.remove(person) == 2
    newcomers = encoding_gallery(rng, 300)
    for gallery in (exact, index):
        gallery.add_many([f"new{i}" for i in range(300)], newcomers)
    probes = _mates(
        rng, np.concatenate([matrix[200:500], newcomers[:100]]), DEFAULT_IDENTIFY_THRESHOLD
    )
    before = _decisions(exact, index, probes)
    assert scan.calls == len(probes)  # every answer came from the exact scan
    held_build.set()
    assert index.wait_for_codes(60)
    scan.calls = 0
    after = _decisions(exact, index, probes)
    assert scan.calls == 0  # now the codes propose the candidates
    assert after == before
    assert "new0" in {p for p, _ in after}  # a row added while building is found by the codes
    assert not {p for p, _ in after} & {f"p{i}" for i in range(0, 200, 4)}


def test_watchlist_screens_exactly_while_building_and_the_same_after(
    held_build: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(12)
    matrix = encoding_gallery(rng, ROWS)
    ids = [f"w{i}" for i in range(ROWS)]
    exact = WatchlistGallery.from_matrix(ids, matrix, ann_min_rows=NEVER)
    gallery = WatchlistGallery.from_matrix(ids, matrix, ann_min_rows=SMALL)
    assert not gallery.wait_for_codes(0)
    full = _Counted(gallery.distances)
    monkeypatch.setattr(gallery, "distances", full)
    probes = _mates(rng, matrix[:100], WATCHLIST_THRESHOLD)

    def hits() -> list[WatchlistHit | None]:
        found = [gallery.screen([p], threshold=WATCHLIST_THRESHOLD) for p in probes]
        assert found == [exact.screen([p], threshold=WATCHLIST_THRESHOLD) for p in probes]
        return found

    before = hits()
    assert full.calls == len(probes)
    held_build.set()
    assert gallery.wait_for_codes(60)
    full.calls = 0
    assert hits() == before
    assert full.calls == 0
    assert [h.entry_id if h else None for h in before[0::2]] == [f"w{i}" for i in range(0, 100, 2)]


def test_a_failed_build_leaves_the_exact_scan_answering(monkeypatch: pytest.MonkeyPatch) -> None:
    real_add = AnnCandidates.add

    def add(self: AnnCandidates, first_row: int, rows: npt.NDArray[np.float32]) -> None:
        if threading.current_thread().name == _BUILDER:
            raise MemoryError("no room for the codes")
        real_add(self, first_row, rows)

    monkeypatch.setattr(AnnCandidates, "add", add)
    rng = np.random.default_rng(13)
    matrix = encoding_gallery(rng, ROWS)
    people = [f"p{i}" for i in range(ROWS)]
    exact, index = TemplateIndex(ann_min_rows=NEVER), TemplateIndex(ann_min_rows=SMALL)
    exact.add_many(people, matrix)
    index.add_many(people, matrix)
    assert not index.wait_for_codes(60)  # over, and no codes
    index.add("late", matrix[0] + 0.001)
    exact.add("late", matrix[0] + 0.001)
    probes = _mates(rng, matrix[:50], DEFAULT_IDENTIFY_THRESHOLD)
    assert _decisions(exact, index, probes)[0][0] in ("p0", "late")
