"""The threshold rule of bench/face_split.py: at most 0.1% of the impostors below it."""

import numpy as np
import pytest

from bench.face_split import largest_threshold


def test_the_largest_step_that_lets_at_most_the_allowed_share_through() -> None:
    # 2,000 impostors: at most 2 may fall below the threshold.
    impostors = np.concatenate([[0.4101, 0.4207, 0.4356], np.linspace(0.6, 1.2, 1997)])
    chosen = largest_threshold(impostors)
    assert chosen == pytest.approx(0.435)
    assert np.sum(impostors < chosen) <= 2
    assert np.sum(impostors < chosen + 0.001) > 2  # one step more lets a third through


def test_a_distance_on_the_grid_is_not_counted_below_it() -> None:
    impostors = np.concatenate([[0.5, 0.53], np.full(998, 0.9)])  # 1,000: one may pass
    assert largest_threshold(impostors) == pytest.approx(0.53)
    assert largest_threshold(impostors, far=0.0) == pytest.approx(0.5)


def test_fewer_pairs_than_one_allowed_keeps_every_impostor_out() -> None:
    assert largest_threshold(np.array([0.7, 0.8, 0.9])) == pytest.approx(0.7)
