"""1:1 and 1:N matching: equivalence with face_recognition.face_distance, index upkeep."""

import math

import numpy as np
import pytest
from pydantic import ValidationError

from biometrics import (
    DEFAULT_IDENTIFY_THRESHOLD,
    DEFAULT_VERIFY_THRESHOLD,
    FaceThresholds,
    TemplateError,
    TemplateIndex,
    template_from_bytes,
    template_matrix,
    template_rows,
    template_to_bytes,
    verify,
)


def face_distance(matrix: np.ndarray, probe: np.ndarray) -> np.ndarray:
    from face_recognition import face_distance as reference

    return np.asarray(reference(matrix.astype(np.float64), probe.astype(np.float64)))


def random_encodings(rng: np.random.Generator, n: int) -> np.ndarray:
    # dlib encodings: values of about +-0.2, norms of about 1.
    return (rng.standard_normal((n, 128)) * 0.09).astype(np.float32)


@pytest.mark.parametrize(("n", "block_rows"), [(1, 4), (777, 100), (5000, 65536)])
def test_nearest_ranks_exactly_as_face_distance(n: int, block_rows: int) -> None:
    rng = np.random.default_rng(n)
    matrix = random_encodings(rng, n)
    index = TemplateIndex(block_rows=block_rows)
    index.add_many([f"p{i}" for i in range(n)], matrix)
    for _ in range(5):
        probe = matrix[rng.integers(n)] + rng.standard_normal(128).astype(np.float32) * 0.05
        expected = face_distance(matrix, probe)
        k = min(10, n)
        indices, distances = index.nearest(probe, k=k)
        assert indices == list(np.argsort(expected, kind="stable")[:k])
        np.testing.assert_allclose(distances, np.sort(expected)[:k], atol=1e-4)
        screened = np.sqrt(np.maximum(index.screen(probe), 0))
        np.testing.assert_allclose(screened, expected, atol=1e-4)
        full, _ = index.nearest(probe, k=n)
        assert full == list(np.argsort(expected, kind="stable"))
        # The float32 screen orders like face_distance up to its rounding (near-ties only).
        order = np.argsort(screened, kind="stable")
        assert np.all(np.diff(expected[order]) > -1e-5)


def test_nearest_breaks_exact_ties_by_row() -> None:
    row = random_encodings(np.random.default_rng(0), 1)[0]
    index = TemplateIndex(block_rows=3)
    index.add_many(["a", "b", "c", "d"], np.stack([row, row + 1, row, row]))
    indices, distances = index.nearest(row, k=3)
    assert indices == [0, 2, 3]
    assert distances == [0.0, 0.0, 0.0]


def test_identify_finds_the_person_below_the_stricter_threshold() -> None:
    rng = np.random.default_rng(1)
    index = TemplateIndex(block_rows=16)
    people = {f"person-{i}": random_encodings(rng, 3) for i in range(50)}
    for person, templates in people.items():
        index.add(person, templates)
    assert len(index) == 150
    probe = people["person-7"][1] + 0.01
    found = index.identify(probe)
    assert found.person_id == "person-7"
    assert found.distance == pytest.approx(math.sqrt(128) * 0.01, abs=1e-4)
    assert found.threshold == DEFAULT_IDENTIFY_THRESHOLD
    assert found.candidates[0].person_id == "person-7"
    assert len({c.person_id for c in found.candidates}) == len(found.candidates)
    stranger = index.identify(random_encodings(rng, 1)[0])
    assert stranger.person_id is None
    assert stranger.distance > DEFAULT_IDENTIFY_THRESHOLD


def test_remove_drops_every_template_of_a_person() -> None:
    rng = np.random.default_rng(2)
    index = TemplateIndex(block_rows=4)
    kept = random_encodings(rng, 5)
    gone = random_encodings(rng, 6)
    index.add("kept", kept)
    index.add("gone", gone)
    index.add("kept", kept[:1] + 0.3)
    assert index.remove("gone") == 6
    assert index.remove("gone") == 0
    assert index.remove("nobody") == 0
    assert len(index) == 6
    assert index.identify(gone[2]).person_id is None
    for template in kept:
        assert index.identify(template).person_id == "kept"


def test_empty_index_identifies_nobody() -> None:
    result = TemplateIndex().identify(np.zeros(128))
    assert result.person_id is None
    assert result.distance == math.inf
    assert result.candidates == []


def test_index_refuses_bad_templates() -> None:
    index = TemplateIndex()
    with pytest.raises(ValueError, match="shape"):
        index.add("x", np.zeros((2, 64)))
    with pytest.raises(ValueError, match="finite"):
        index.add("x", np.full(128, np.nan))
    with pytest.raises(ValueError, match="one person id"):
        index.add_many(["a"], np.zeros((2, 128)))
    with pytest.raises(ValueError, match="probe"):
        index.identify(np.zeros(5))


def test_verify_takes_the_best_of_the_claimed_templates() -> None:
    rng = np.random.default_rng(3)
    templates = random_encodings(rng, 4)
    probe = templates[2] + 0.02
    result = verify(probe, templates)
    assert result.matched
    assert result.best_index == 2
    assert result.distance == pytest.approx(face_distance(templates, probe).min(), abs=1e-6)
    assert result.threshold == DEFAULT_VERIFY_THRESHOLD
    assert not verify(probe, templates, threshold=0.1).matched
    other = verify(random_encodings(rng, 1)[0], templates)
    assert not other.matched


def test_verify_without_templates_never_matches() -> None:
    result = verify(np.zeros(128), np.zeros((0, 128)))
    assert not result.matched
    assert result.distance == math.inf
    assert result.best_index is None


def test_templates_round_trip_as_512_little_endian_bytes() -> None:
    vector = random_encodings(np.random.default_rng(4), 1)[0]
    data = template_to_bytes(vector)
    assert len(data) == 512
    assert data[:4] == np.float32(vector[0]).astype("<f4").tobytes()
    np.testing.assert_array_equal(template_from_bytes(data), vector)
    assert template_from_bytes(data).dtype == np.float32


def test_templates_refuse_wrong_sizes_and_non_finite_values() -> None:
    with pytest.raises(TemplateError, match="512 bytes"):
        template_from_bytes(b"\0" * 511)
    with pytest.raises(TemplateError, match="128 values"):
        template_to_bytes(np.zeros(127))
    with pytest.raises(TemplateError, match="finite"):
        template_to_bytes(np.full(128, np.inf))
    with pytest.raises(TemplateError, match="finite"):
        template_from_bytes(np.full(128, np.nan, dtype="<f4").tobytes())


def test_templates_refuse_norms_no_dlib_encoding_has() -> None:
    with pytest.raises(TemplateError, match="norm"):
        template_to_bytes(np.zeros(128))
    with pytest.raises(TemplateError, match="norm"):
        template_from_bytes(np.full(128, 1000.0, dtype="<f4").tobytes())
    good = template_to_bytes(random_encodings(np.random.default_rng(9), 1)[0])
    matrix, broken = template_matrix([good, bytes(512), b"short", good])
    assert matrix.shape == (2, 128) and broken == 2
    empty, none_broken = template_matrix([])
    assert empty.shape == (0, 128) and none_broken == 0


def test_template_rows_keep_exactly_what_the_one_by_one_reader_accepts() -> None:
    rng = np.random.default_rng(11)
    good = [template_to_bytes(e) for e in random_encodings(rng, 40)]
    broken = [
        bytes(512),  # norm 0
        b"short",
        good[0] + b"x",  # 513 bytes
        np.full(128, np.nan, "<f4").tobytes(),
        np.full(128, np.inf, "<f4").tobytes(),
        np.full(128, 1000.0, "<f4").tobytes(),
        np.full(128, 0.22, "<f4").tobytes(),  # norm 2.49: still plausible
    ]
    mixed = good + broken
    order = rng.permutation(len(mixed))
    templates = [mixed[i] for i in order]
    matrix, usable = template_rows(templates)
    expected = []
    for data in templates:
        try:
            expected.append(template_from_bytes(data))
        except TemplateError:
            expected.append(None)
    assert usable.tolist() == [e is not None for e in expected]
    assert np.array_equal(matrix, np.stack([e for e in expected if e is not None]))
    assert matrix.dtype == np.float32 and matrix.flags.c_contiguous
    assert template_matrix(templates)[1] == len(broken) - 1
    empty, none = template_rows([])
    assert empty.shape == (0, 128) and none.shape == (0,)


def test_thresholds_default_and_identify_is_stricter() -> None:
    thresholds = FaceThresholds()
    assert thresholds.verify == DEFAULT_VERIFY_THRESHOLD
    assert thresholds.identify == DEFAULT_IDENTIFY_THRESHOLD
    assert DEFAULT_IDENTIFY_THRESHOLD < DEFAULT_VERIFY_THRESHOLD
    assert FaceThresholds(verify=0.5, identify=0.4).identify == 0.4
    with pytest.raises(ValidationError, match="looser"):
        FaceThresholds(verify=0.4, identify=0.5)
    with pytest.raises(ValidationError):
        FaceThresholds(verify=0.5, extra_field=1)  # type: ignore[call-arg]
