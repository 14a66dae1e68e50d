"""`portgate liveness record`: labelled presentation sessions from a gate's configured camera."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt
import typer

from biometrics.pad import RecordingError, SessionInfo, write_session
from biometrics.pad.recording import parse_label
from gate_agent.camera.frames import FrameSourceError, open_frame_source
from gate_agent.config import (
    AgentConfig,
    CameraConfig,
    ConfigError,
    OpenCVCameraConfig,
    load_config,
)
from portgate.commands.liveness.common import fail
from portgate.language import _

__all__ = ["record_command"]


def describe_camera(camera: CameraConfig) -> str:
    """The camera source in words, without a password a stream URL may carry."""
    if not isinstance(camera, OpenCVCameraConfig):
        return f"{camera.type} {camera.path}"
    device = camera.device
    if isinstance(device, str) and "@" in device:
        parts = urlsplit(device)
        device = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))
    return f"opencv {device}"


def _capture(
    camera: CameraConfig, frames: int, seconds: float | None
) -> list[npt.NDArray[np.uint8]]:
    try:
        source = open_frame_source(camera)
    except FrameSourceError as exc:
        raise fail("record", str(exc)) from None
    images: list[npt.NDArray[np.uint8]] = []
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while len(images) < frames and (deadline is None or time.monotonic() < deadline):
            frame = source.read()
            if frame is None:
                break
            images.append(frame.image)
    finally:
        source.close()
    return images


def _camera_of(config: Path, agent: AgentConfig, gate: str | None) -> CameraConfig:
    """The camera of the agent config, which must be the named gate's."""
    if gate is not None and gate != agent.gate:
        wanted = {"file": config, "gate": repr(agent.gate), "wanted": repr(gate)}
        raise fail("record", _("{file} is the agent config of gate {gate}, not {wanted}", **wanted))
    if agent.camera is None:
        raise fail("record", _("{file} configures no camera", file=config))
    return agent.camera


def record_command(
    config: Annotated[Path, typer.Option(help="The gate agent's YAML config (its camera).")],
    label: Annotated[str, typer.Option(help="bona_fide, print, screen, video or mask.")],
    out: Annotated[Path, typer.Option(help="Recording folder; the session is a new subfolder.")],
    gate: Annotated[str | None, typer.Option(help="The gate (must be the config's).")] = None,
    frames: Annotated[int, typer.Option(min=2, max=900, help="Frames to record.")] = 24,
    seconds: Annotated[
        float | None, typer.Option(min=0.1, max=60, help="Stop after this long, too.")
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="Pseudonym of the person presenting (never a name).")
    ] = None,
    notes: Annotated[str, typer.Option(help="What was presented, how, lighting...")] = "",
) -> None:
    """Record one labelled presentation session from the gate's camera."""
    try:
        species = parse_label(label)
        agent = load_config(config)
    except (RecordingError, ConfigError) as exc:
        raise fail("record", str(exc)) from None
    camera = _camera_of(config, agent, gate)
    started = datetime.now(UTC)
    try:
        info = SessionInfo(
            label=species,
            gate=agent.gate,
            camera=describe_camera(camera),
            recorded_at=started,
            subject=subject,
            notes=notes,
        )
    except ValueError as exc:
        raise fail("record", str(exc).replace("\n", " ")) from None
    images = _capture(camera, frames, seconds)
    if len(images) < 2:
        raise fail(
            "record", _("the camera gave {count} frame(s); nothing written", count=len(images))
        )
    name = f"{species.value}-{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    try:
        folder = write_session(out / name, info, images)
    except RecordingError as exc:
        raise fail("record", str(exc)) from None
    done = {"count": len(images), "species": species.value, "gate": agent.gate, "folder": folder}
    typer.echo(_("recorded {count} frames of {species} at gate {gate} to {folder}", **done))
