"""The cohort normalisation of bench/score_norm_trial.py (pure arithmetic)."""

import numpy as np
import pytest

from bench.score_norm_trial import cohort_statistics, s_norm, strict_threshold


def test_cohort_statistics_use_the_nearest_other_people_only() -> None:
    to_cohort = np.array([[0.1, 0.5, 0.7, 0.9], [0.4, 0.6, 0.2, 0.8]])
    own = np.array([[True, False, False, False], [False, False, False, False]])
    stats = cohort_statistics(to_cohort, own, top=2)
    # Row 0: its own person (0.1) is left out, so the nearest two are 0.5 and 0.7.
    assert stats[0] == pytest.approx([0.6, 0.1])
    assert stats[1] == pytest.approx([0.3, 0.1])


def test_a_row_without_a_face_gets_no_statistics_and_is_never_accepted() -> None:
    to_cohort = np.array([[np.inf, np.inf], [0.3, 0.5]])
    stats = cohort_statistics(to_cohort, np.zeros((2, 2), bool), top=2)
    assert np.isnan(stats[0]).all()
    scores = s_norm(np.array([np.inf, 0.4]), stats, stats)
    assert not scores[0] < strict_threshold(np.array([0.0, 1.0, 2.0]))


def test_a_cohort_too_small_for_top_is_an_error() -> None:
    with pytest.raises(ValueError, match="fewer than 3"):
        cohort_statistics(np.array([[0.2, 0.4, 0.6]]), np.array([[True, False, False]]), top=3)


def test_s_norm_averages_both_sides() -> None:
    template, probe = np.array([[0.6, 0.1]]), np.array([[0.7, 0.2]])
    # z = (0.4 - 0.6) / 0.1 = -2, t = (0.4 - 0.7) / 0.2 = -1.5
    assert s_norm(np.array([0.4]), template, probe) == pytest.approx([-1.75])


def test_strict_threshold_lets_at_most_the_allowed_share_below() -> None:
    impostors = np.concatenate([[-5.0, -4.0, -3.0], np.linspace(0.0, 1.0, 1997)])
    threshold = strict_threshold(impostors)
    assert threshold == pytest.approx(-3.0)
    assert np.sum(impostors < threshold) == 2
