"""The candidate codes (biometrics/ann.py) behind 1:N and the watchlist decide as the
exact scan does: mates at the threshold +- 0.01, after adds and removes; bad input refused."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from biometrics import TemplateIndex, WatchlistGallery
from gate_protocol.thresholds import DEFAULT_IDENTIFY_THRESHOLD, WATCHLIST_THRESHOLD
from testkit.encodings import encoding_gallery, mates_at

ROWS = 3000
SMALL = 1000  # the codes are used from this many rows on in these tests
NEVER = 10**9


def _no_scan(*_: object, **__: object) -> None:
    raise AssertionError("the exact scan ran")


def _pair(matrix: npt.NDArray[np.float32]) -> tuple[TemplateIndex, TemplateIndex]:
    people = [f"p{i // 2}" for i in range(len(matrix))]
    exact, coded = TemplateIndex(ann_min_rows=NEVER), TemplateIndex(ann_min_rows=SMALL)
    exact.add_many(people, matrix)
    coded.add_many(people, matrix)
    assert coded.wait_for_codes(60) and not exact.wait_for_codes(0)
    return exact, coded


def _same_decisions(
    exact: TemplateIndex, coded: TemplateIndex, probes: npt.NDArray[np.float64]
) -> list[str | None]:
    decided = []
    for probe in probes:
        want = exact.identify(probe, threshold=DEFAULT_IDENTIFY_THRESHOLD)
        got = coded.identify(probe, threshold=DEFAULT_IDENTIFY_THRESHOLD)
        assert (got.person_id, got.distance) == (want.person_id, want.distance)
        decided.append(got.person_id)
    return decided


def test_identify_decides_as_the_exact_scan_at_the_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    matrix = encoding_gallery(rng, ROWS)
    exact, coded = _pair(matrix)
    monkeypatch.setattr(coded, "screen", _no_scan)  # the codes propose, not the scan
    chosen = rng.choice(ROWS, size=200, replace=False)
    decided = _same_decisions(
        exact, coded, mates_at(rng, matrix[chosen], DEFAULT_IDENTIFY_THRESHOLD)
    )
    # Under the threshold: the mate's person; over it: nobody.
    assert decided[0::2] == [f"p{i // 2}" for i in chosen[0::2]]
    assert set(decided[1::2]) == {None}


def test_adds_and_removes_keep_the_decisions_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    matrix = encoding_gallery(rng, ROWS)
    exact, coded = _pair(matrix)
    monkeypatch.setattr(coded, "screen", _no_scan)
    removed = [f"p{i}" for i in range(0, 300, 3)]
    for person in removed:
        assert exact.remove(person) == coded.remove(person) == 2
    newcomers = encoding_gallery(rng, 400)
    for index in (exact, coded):
        index.add_many([f"new{i}" for i in range(400)], newcomers)
    probes = mates_at(rng, np.concatenate([matrix[:600], newcomers]), DEFAULT_IDENTIFY_THRESHOLD)
    decided = _same_decisions(exact, coded, probes)
    assert not set(removed) & set(decided)  # a removed person is never named
    assert "new0" in decided


@pytest.mark.parametrize("bad", [np.zeros(127), np.full(128, np.nan), np.full(128, np.inf)])
def test_bad_probe_is_refused(bad: npt.NDArray[np.float64]) -> None:
    _, coded = _pair(encoding_gallery(np.random.default_rng(3), ROWS))
    with pytest.raises(ValueError, match="128 finite numbers"):
        coded.identify(bad)


def test_bad_templates_are_refused_and_change_nothing() -> None:
    _, coded = _pair(encoding_gallery(np.random.default_rng(4), ROWS))
    probe = encoding_gallery(np.random.default_rng(4), ROWS)[5]
    before = coded.identify(probe)
    with pytest.raises(ValueError, match=r"shape \(n, 128\)"):
        coded.add("x", np.zeros((2, 64)))
    with pytest.raises(ValueError, match="finite"):
        coded.add("x", np.full((1, 128), np.nan))
    assert len(coded) == ROWS
    assert coded.identify(probe) == before


def _watchlists(matrix: npt.NDArray[np.float32]) -> tuple[WatchlistGallery, WatchlistGallery]:
    ids = [f"w{i}" for i in range(len(matrix))]
    exact = WatchlistGallery.from_matrix(ids, matrix, ann_min_rows=NEVER)
    coded = WatchlistGallery.from_matrix(ids, matrix, ann_min_rows=SMALL)
    assert coded.wait_for_codes(60) and not exact.wait_for_codes(0)
    return exact, coded


def test_watchlist_screen_hits_as_the_exact_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    matrix = encoding_gallery(rng, ROWS)
    exact, coded = _watchlists(matrix)
    monkeypatch.setattr(coded, "distances", _no_scan)
    chosen = rng.choice(ROWS, size=100, replace=False)
    first = mates_at(rng, matrix[chosen], WATCHLIST_THRESHOLD)
    second = mates_at(rng, matrix[chosen], WATCHLIST_THRESHOLD)
    hits = []
    for one, two in zip(first, second, strict=True):
        for encodings, frames in (([one], 1), ([one, two], 2)):
            want = exact.screen(encodings, threshold=WATCHLIST_THRESHOLD, frames=frames)
            got = coded.screen(encodings, threshold=WATCHLIST_THRESHOLD, frames=frames)
            assert got == want
        hits.append(coded.screen([one], threshold=WATCHLIST_THRESHOLD))
    assert [h.entry_id if h else None for h in hits[0::2]] == [f"w{i}" for i in chosen[0::2]]
    assert set(hits[1::2]) == {None}


def test_watchlist_refuses_bad_input() -> None:
    matrix = encoding_gallery(np.random.default_rng(6), ROWS)
    _, coded = _watchlists(matrix)
    with pytest.raises(ValueError, match="128 finite numbers"):
        coded.screen([np.full(128, np.nan)], threshold=WATCHLIST_THRESHOLD)
    with pytest.raises(ValueError, match="128 finite numbers"):
        coded.screen([np.zeros(100)], threshold=WATCHLIST_THRESHOLD)
    with pytest.raises(ValueError, match="shape"):
        WatchlistGallery.from_matrix(["a"], np.zeros((1, 64)))
    bad = matrix[:2].copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        WatchlistGallery.from_matrix(["a", "b"], bad)
