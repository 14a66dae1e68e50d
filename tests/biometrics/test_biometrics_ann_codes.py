"""The candidate codes themselves (biometrics/ann.py `AnnCandidates`): they rank the true
nearest row among a few candidates, follow moves and adds across compactions (rows added
after a compaction are found: faiss's fast-scan index loses them after its own remove), and
refuse rows added out of place without changing anything."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from biometrics.ann import AnnCandidates
from testkit.encodings import encoding_gallery, mates_at


def _nearest(rows: npt.NDArray[np.float32], probe: npt.NDArray[np.float32]) -> int:
    return int(np.argmin(np.linalg.norm(rows.astype(np.float64) - probe, axis=1)))


def test_the_exact_nearest_is_among_a_few_candidates_of_twenty_thousand() -> None:
    rng = np.random.default_rng(21)
    rows = encoding_gallery(rng, 20_000)
    codes = AnnCandidates(rows)
    codes.add(0, rows)
    chosen = rng.choice(len(rows), size=300, replace=False)
    probes = mates_at(rng, rows[chosen], 0.42).astype(np.float32)  # near the 1:N threshold
    found = sum(
        _nearest(rows, probe) in set(codes.candidates(probe[None], 16).tolist()) for probe in probes
    )
    # 16 of 20,000 rows: codes that did not rank by distance would find almost none.
    assert found >= 297


def test_moves_and_adds_across_compactions_keep_every_row_findable() -> None:
    rng = np.random.default_rng(22)
    rows = encoding_gallery(rng, 3000)
    codes = AnnCandidates(rows)
    codes.add(0, rows)
    live = rows.copy()
    size = len(rows)
    for round_ in range(3):  # each round removes far more than a compaction's share
        for dst in rng.choice(size, size=150, replace=False).tolist():
            if dst >= size:
                continue
            last = size - 1
            codes.move(last, dst)
            live[dst] = live[last]
            size -= 1
        newcomers = encoding_gallery(rng, 100)
        codes.add(size, newcomers)
        live[size : size + 100] = newcomers
        size += 100
        assert len(codes) == size, round_
    for row in range(size):
        proposed = codes.candidates(live[row][None], 4)
        assert row in proposed, row
        assert proposed.max() < size


def test_rows_added_out_of_place_are_refused_and_change_nothing() -> None:
    rng = np.random.default_rng(23)
    rows = encoding_gallery(rng, 1000)
    codes = AnnCandidates(rows)
    codes.add(0, rows)
    before = codes.candidates(rows[:3], 8)
    with pytest.raises(ValueError, match=r"added at the end \(1000\), not at 5"):
        codes.add(5, rows[:2])
    assert len(codes) == 1000
    assert np.array_equal(codes.candidates(rows[:3], 8), before)
