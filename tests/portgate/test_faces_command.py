"""`portgate faces compare --pairs FILE` through the real CLI."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from biometrics import DEFAULT_VERIFY_THRESHOLD
from portgate.cli import app
from portgate.commands import faces as faces_command
from testkit.faces import FACES


def compare(pairs: Path) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, ["faces", "compare", "--pairs", str(pairs)])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def test_compare_matches_obama_and_rejects_biden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[Path] = []
    real_encode = faces_command._EncodingCache._encode

    def counting(path: Path) -> object:
        encoded.append(path)
        return real_encode(path)

    monkeypatch.setattr(faces_command._EncodingCache, "_encode", staticmethod(counting))
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "image_a\timage_b\tsame_person\n"
        f"{FACES}/obama.jpg\t{FACES}/obama2.jpg\t1\n"
        f"{FACES}/obama.jpg\t{FACES}/biden.jpg\t0\n"
        f"{FACES}/obama2.jpg\t{FACES}/biden.jpg\n"
    )
    code, lines, _ = compare(pairs)
    assert code == 0
    assert len(lines) == 3
    same, different, other = lines
    assert same["match"] is True
    assert isinstance(same["distance"], float)
    assert same["distance"] < DEFAULT_VERIFY_THRESHOLD
    assert different["match"] is False
    assert isinstance(different["distance"], float)
    assert different["distance"] > DEFAULT_VERIFY_THRESHOLD
    assert other["match"] is False
    assert [(line["image_a"], line["image_b"]) for line in lines] == [
        (f"{FACES}/obama.jpg", f"{FACES}/obama2.jpg"),
        (f"{FACES}/obama.jpg", f"{FACES}/biden.jpg"),
        (f"{FACES}/obama2.jpg", f"{FACES}/biden.jpg"),
    ]
    assert all("error" not in line for line in lines)
    assert len(encoded) == 3  # each image encoded once however often it is named


def test_bad_lines_are_named_errors_and_the_run_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "text.jpg").write_text("not an image")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "missing-a.jpg\tmissing-b.jpg\n"
        "just one field\n"
        "text.jpg\ttext.jpg\textra\tcolumns\n"
        "\n"
        "a.jpg\t\n"
        f"{FACES}/obama.jpg\t{FACES}/obama2.jpg\n"
    )
    code, lines, stderr = compare(pairs)
    assert code == 1
    assert len(lines) == 5  # the blank line is no pair; the good pair after them still runs
    assert [(line["image_a"], line["image_b"]) for line in lines[:4]] == [
        ("missing-a.jpg", "missing-b.jpg"),
        ("just one field", ""),
        ("text.jpg", "text.jpg"),
        ("a.jpg", ""),
    ]
    for line in lines[:4]:
        assert line["distance"] is None
        assert line["match"] is False
        assert line["error"]
    assert "no such image" in str(lines[0]["error"])
    assert "not an image" in str(lines[2]["error"])
    assert lines[4]["match"] is True
    assert "error" not in lines[4]
    assert "error: pair 1 (missing-a.jpg / missing-b.jpg): " in stderr
    assert "error: pair 2 (just one field / ): not an image_a<TAB>image_b line" in stderr
    assert "error: pair 3 (text.jpg / text.jpg): " in stderr
    assert "error: 4 of 5 pairs could not be compared" in stderr


def test_paths_are_relative_to_the_pairs_file(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    blank = folder / "blank.png"
    import cv2
    import numpy as np

    cv2.imwrite(str(blank), np.full((64, 64, 3), 200, np.uint8))
    pairs = folder / "pairs.tsv"
    pairs.write_text("blank.png\tblank.png\n")
    code, lines, stderr = compare(pairs)
    assert code == 1
    assert lines == [
        {
            "image_a": "blank.png",
            "image_b": "blank.png",
            "distance": None,
            "match": False,
            "error": f"no face found in {folder / 'blank.png'}",
        }
    ]
    assert f"error: pair 1 (blank.png / blank.png): no face found in {folder / 'blank.png'}" in (
        stderr
    )


def test_empty_pairs_file_is_an_error(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("")
    code, lines, stderr = compare(pairs)
    assert code == 1
    assert lines == []
    assert "error: no image pairs in" in stderr


def test_missing_pairs_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["faces", "compare", "--pairs", str(tmp_path / "nope")])
    assert result.exit_code == 2
