"""`portgate liveness record|evaluate|calibrate` through the real CLI, on simulated sessions.

The recording is simulated from the shipped photos (testkit/pad_recordings.py): what is
tested is the commands' behaviour (what they write, report and refuse), not PAD accuracy,
which bench/bench_liveness.py measures.
"""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from biometrics.pad import PresentationLabel as L
from biometrics.pad import load_liveness_config, load_recording
from gate_agent.config import ConfigError, load_config
from gate_agent.face.liveness_config import gate_liveness_settings
from portgate.cli import app
from portgate.commands.liveness.record import describe_camera
from testkit.pad_recordings import simulated_recording


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["liveness", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pad") / "rec"
    simulated_recording(folder, {L.BONA_FIDE: 2, L.PRINT: 2, L.SCREEN: 1}, gate="g1", frames=6)
    return folder


def agent_yaml(tmp_path: Path, frames: Path, *, liveness: Path | None = None) -> Path:
    path = tmp_path / "agent.yaml"
    face = f"face: {{liveness_config: {liveness}}}\n" if liveness else ""
    path.write_text(
        f"site: t1\ngate: g1\ncamera: {{type: folder, path: {frames}, fps: 120}}\n{face}"
    )
    return path


def test_record_writes_a_labelled_session_from_the_gates_camera(
    tmp_path: Path, recording: Path
) -> None:
    config = agent_yaml(tmp_path, recording / "bona_fide-00")
    out = tmp_path / "site-rec"
    code, stdout, _ = run(
        "record", "--config", str(config), "--gate", "g1", "--label", "print",
        "--out", str(out), "--frames", "6", "--subject", "v07", "--notes", "A4 glossy",
    )  # fmt: skip
    assert code == 0, stdout
    [session] = load_recording(out)
    assert session.info.label is L.PRINT and session.info.gate == "g1"
    assert session.info.subject == "v07" and session.info.notes == "A4 glossy"
    assert len(session.media) == 6 and session.info.frames == 6
    assert session.info.camera == f"folder {recording / 'bona_fide-00'}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--label", "mannequin"), "unknown species 'mannequin'"),
        (("--label", "print", "--gate", "g9"), "agent config of gate 'g1', not 'g9'"),
    ],
)
def test_record_refuses_bad_input_in_one_line_and_writes_nothing(
    tmp_path: Path, recording: Path, args: tuple[str, ...], message: str
) -> None:
    config = agent_yaml(tmp_path, recording / "bona_fide-00")
    out = tmp_path / "site-rec"
    code, _, stderr = run("record", "--config", str(config), "--out", str(out), *args)
    assert code == 1 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_camera_description_keeps_no_stream_password() -> None:
    from gate_agent.config import OpenCVCameraConfig

    camera = OpenCVCameraConfig(device="rtsp://admin:s3cret@10.0.0.5:554/stream1")
    assert describe_camera(camera) == "opencv rtsp://10.0.0.5:554/stream1"


def test_evaluate_reports_species_and_bpcer_as_text_and_json(recording: Path) -> None:
    code, stdout, _ = run("evaluate", str(recording), "--json")
    assert code == 0, stdout
    body = json.loads(stdout)
    assert body["standard"] == "ISO/IEC 30107-3" and body["sessions"] == 5
    species = {s["label"]: s for s in body["apcer_per_species"]}
    assert set(species) == {"print", "screen"}
    assert species["print"]["presentations"] == 2 and species["screen"]["presentations"] == 1
    assert body["bpcer"]["presentations"] == 2
    worst = max(species.values(), key=lambda s: s["rate"])
    assert body["apcer"] == worst["rate"] and body["worst_species"] in species
    low, high = species["print"]["ci95"]
    assert 0 <= low <= species["print"]["rate"] <= high <= 1
    code, text, _ = run("evaluate", str(recording))
    assert code == 0
    assert "ISO/IEC 30107-3" in text and f"worst species: {body['worst_species']}" in text
    assert "APCER at BPCER <= 5%" in text
    print_line = next(line for line in text.splitlines() if line.startswith("print "))
    assert f"{species['print']['errors']} acc." in print_line


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda s: (s / "session.json").unlink(), "unlabeled session"),
        (
            lambda s: (s / "session.json").write_text(
                (s / "session.json").read_text().replace('"print"', '"mannequin"')
            ),
            "unknown species 'mannequin'",
        ),
    ],
)
def test_evaluate_refuses_a_recording_with_a_bad_session(
    tmp_path: Path, recording: Path, spoil: object, message: str
) -> None:
    copy = tmp_path / "rec"
    shutil.copytree(recording, copy)
    spoil(copy / "print-01")  # type: ignore[operator]
    code, stdout, stderr = run("evaluate", str(copy))
    assert code == 1 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert stdout == ""


def test_calibrate_writes_the_config_the_agent_loads(tmp_path: Path, recording: Path) -> None:
    out = tmp_path / "liveness-g1.json"
    code, stdout, _ = run("calibrate", str(recording), "--out", str(out))
    assert code == 0, stdout
    assert "held-out sessions not used for fitting" in stdout
    assert "held out, default thresholds (baseline)" in stdout
    written = load_liveness_config(out)
    assert written.gate == "g1" and written.fitted_sessions + written.held_out.sessions == 5
    config = load_config(agent_yaml(tmp_path, recording / "bona_fide-00", liveness=out))
    assert gate_liveness_settings(config) == written.settings
    other = config.model_copy(update={"gate": "g2"})
    with pytest.raises(ConfigError, match="calibrated for gate 'g1', not 'g2'"):
        gate_liveness_settings(other)


def test_agent_refuses_to_start_on_a_broken_liveness_config(
    tmp_path: Path, recording: Path
) -> None:
    broken = tmp_path / "liveness.json"
    broken.write_text('{"schema_version": 1}')
    config = agent_yaml(tmp_path, recording / "bona_fide-00", liveness=broken)
    result = CliRunner().invoke(app, ["agent", "--config", str(config)])
    assert result.exit_code == 1 and "liveness config" in result.output


@pytest.mark.parametrize(
    ("keep", "message"),
    [("bona_fide", "no attack sessions"), ("print", "no bona fide sessions")],
)
def test_calibrate_refuses_a_set_without_attacks_or_bona_fide(
    tmp_path: Path, recording: Path, keep: str, message: str
) -> None:
    copy = tmp_path / "rec"
    for session in recording.glob(f"{keep}-*"):
        shutil.copytree(session, copy / session.name)
    out = tmp_path / "liveness.json"
    code, _, stderr = run("calibrate", str(copy), "--out", str(out))
    assert code == 1 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_record_reads_a_video_camera_source_until_it_ends(tmp_path: Path, recording: Path) -> None:
    import cv2

    frames = sorted((recording / "bona_fide-01").glob("*.png"))
    first = cv2.imread(str(frames[0]))
    clip = tmp_path / "clip.avi"
    size = (first.shape[1], first.shape[0])
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for path in frames[:4]:
        writer.write(cv2.imread(str(path)))
    writer.release()
    config = tmp_path / "agent.yaml"
    config.write_text(f"site: t1\ngate: g1\ncamera: {{type: opencv, device: '{clip}'}}\n")
    out = tmp_path / "site-rec"
    code, stdout, _ = run(
        "record", "--config", str(config), "--label", "video", "--out", str(out), "--frames", "10"
    )
    assert code == 0, stdout
    [session] = load_recording(out)
    assert session.info.label is L.VIDEO and len(session.media) == 4  # the clip had 4 frames
    assert session.info.camera == f"opencv {clip}"
