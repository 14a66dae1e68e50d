"""ISO/IEC 30107-3 figures on known counts (biometrics.pad.metrics)."""

import math

import pytest

from biometrics.pad import PresentationLabel as L
from biometrics.pad import pad_report, wilson_interval
from biometrics.pad.metrics import Scored, threshold_at_bpcer


def test_wilson_interval_matches_published_values() -> None:
    # Newcombe (1998), table I: 0/10 -> 0.0000-0.2775; 1/29 -> 0.0061-0.1718.
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=5e-5)
    low, high = wilson_interval(1, 29)
    assert low == pytest.approx(0.0061, abs=5e-5) and high == pytest.approx(0.1718, abs=5e-5)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="outside"):
        wilson_interval(3, 2)


def test_threshold_refuses_at_most_five_percent_of_bona_fide() -> None:
    scores = [i / 100 for i in range(40)]  # 40 bona fide: 2 may be refused
    threshold = threshold_at_bpcer(scores)
    assert threshold == 0.02
    assert sum(s < threshold for s in scores) / len(scores) == 0.05
    assert threshold_at_bpcer(scores[:19]) == 0.0  # 19: none may be refused
    with pytest.raises(ValueError, match="no bona fide"):
        threshold_at_bpcer([])


def test_report_counts_apcer_per_species_the_worst_and_bpcer() -> None:
    bona = [Scored(L.BONA_FIDE, True, 0.6 + i / 100) for i in range(19)]
    bona.append(Scored(L.BONA_FIDE, False, 0.3))  # 1 of 20 refused: BPCER 5 %
    prints = [Scored(L.PRINT, i == 0, 0.55 if i == 0 else 0.2) for i in range(4)]
    screens = [Scored(L.SCREEN, False, 0.62), Scored(L.SCREEN, False, 0.1)]
    report = pad_report(bona + prints + screens)
    by = {s.label: s for s in report.species}
    assert [s.label for s in report.species] == [L.PRINT, L.SCREEN]
    assert (by[L.PRINT].total, by[L.PRINT].errors, by[L.PRINT].rate) == (4, 1, 0.25)
    assert (by[L.SCREEN].errors, by[L.SCREEN].rate) == (0, 0.0)
    assert report.worst is not None and report.worst.label is L.PRINT and report.apcer == 0.25
    assert (report.bpcer.total, report.bpcer.errors, report.bpcer.rate) == (20, 1, 0.05)
    low, high = wilson_interval(1, 4)
    assert (by[L.PRINT].low, by[L.PRINT].high) == (low, high)
    # At BPCER <= 5 % (1 of 20 may be refused) the threshold is the 2nd lowest bona fide
    # score, 0.6: the print at 0.55 is refused there, the screen at 0.62 accepted.
    assert report.threshold_bpcer5 == 0.6 and report.bpcer_at_threshold == 0.05
    assert by[L.PRINT].at_bpcer5 == 0.0 and by[L.SCREEN].at_bpcer5 == 0.5
    assert report.apcer_at_bpcer5 == 0.5


def test_a_report_without_attacks_has_no_worst_species_and_without_bona_fide_fails() -> None:
    report = pad_report([Scored(L.BONA_FIDE, True, 0.7), Scored(L.BONA_FIDE, False, 0.1)])
    assert report.worst is None and report.apcer == 0.0 and report.bpcer.rate == 0.5
    with pytest.raises(ValueError, match="no bona fide"):
        pad_report([Scored(L.PRINT, True, 0.9)])
    assert math.isclose(report.bpcer.high, wilson_interval(1, 2)[1])
