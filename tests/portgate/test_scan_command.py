"""`portgate scan` through the real CLI (typer's CliRunner)."""

import json
import resource
import subprocess
import sys
from pathlib import Path

import segno
from typer.testing import CliRunner

from portgate.cli import app
from testkit.faces import FACES
from testkit.image_bombs import no_pixels_decoded, png_bomb


def qr_file(folder: Path, text: str) -> Path:
    path = folder / "pass.png"
    segno.make_qr(text).save(str(path), scale=6)
    return path


def run_scan(*paths: Path) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(app, ["scan", *map(str, paths)])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


def test_scan_prints_the_code_of_a_generated_qr(tmp_path: Path) -> None:
    code, lines = run_scan(qr_file(tmp_path, "PASS-42"))
    assert code == 0
    assert len(lines) == 1
    line = lines[0]
    assert line["image"] == str(tmp_path / "pass.png")
    assert line["faces"] == []
    codes = line["codes"]
    assert isinstance(codes, list)
    assert codes[0]["format"] == "QRCode"
    assert codes[0]["text"] == "PASS-42"
    corners = codes[0]["corners"]
    assert len(corners) == 4
    assert all(isinstance(v, int) for point in corners for v in point)


def test_a_bad_image_gives_an_error_line_and_exit_1(tmp_path: Path) -> None:
    good = qr_file(tmp_path, "ok")
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    missing = tmp_path / "missing.jpg"
    code, lines = run_scan(missing, good, not_image)
    assert code == 1
    assert [line["image"] for line in lines] == [str(missing), str(good), str(not_image)]
    assert "no such image" in str(lines[0]["error"])
    assert lines[1]["codes"][0]["text"] == "ok"  # type: ignore[index]
    assert "not an image" in str(lines[2]["error"])


def test_scan_reports_faces_with_box_and_quality() -> None:
    code, lines = run_scan(FACES / "obama.jpg", FACES / "two_people.jpg")
    assert code == 0
    obama, two = lines
    assert obama["codes"] == []
    faces = obama["faces"]
    assert isinstance(faces, list)
    assert len(faces) == 1
    top, right, bottom, left = faces[0]["box"]
    assert top < bottom
    assert left < right
    assert faces[0]["quality"] == "ok"
    assert [f["quality"] for f in two["faces"]] == ["several_faces", "several_faces"]  # type: ignore[union-attr]


def test_scan_needs_an_image_argument() -> None:
    result = CliRunner().invoke(app, ["scan"])
    assert result.exit_code == 2


def test_a_png_bomb_is_refused_by_its_header_with_memory_bounded(tmp_path: Path) -> None:
    # A real `portgate` process held to 3 GiB of address space: decoding the bomb's 900
    # megapixels (2.7 GB as BGR, more as RGB) would not fit, reading its header does.
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(30000, 30000))
    good = qr_file(tmp_path, "after the bomb")
    script = "from portgate.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", script, "scan", str(bomb), str(good)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=_limit_address_space,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 1, result.stderr[-2000:]
    assert lines[0]["image"] == str(bomb)
    assert "too many pixels" in str(lines[0]["error"])
    assert "at most 50 megapixels" in str(lines[0]["error"])
    assert lines[1]["codes"][0]["text"] == "after the bomb"  # type: ignore[index]


def test_a_png_bomb_is_refused_without_decoding_its_pixels(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(30000, 30000))
    with no_pixels_decoded():
        code, lines = run_scan(bomb)
    assert code == 1
    assert "too many pixels" in str(lines[0]["error"])


def _limit_address_space() -> None:
    limit = 3 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_an_empty_file_gives_an_error_line_and_exit_1(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    code, lines = run_scan(empty)
    assert code == 1
    assert lines == [{"image": str(empty), "error": f"{empty}: not an image: the data is empty"}]
