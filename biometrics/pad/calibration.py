"""Liveness thresholds fitted to one gate's camera, and the gate's liveness config file.

``calibrate`` splits judged sessions into a part to fit on and a held-out part (per label,
by subject pseudonym where one is given, else by session; a stable hash of the name picks
the held-out ones, so a rerun splits the same way), fits the thresholds of the existing
cues (``max_moire`` for screen texture, ``min_flow_residual`` and ``min_closure`` for motion
with the 5-point model, ``min_nonrigid`` and ``min_blink`` with the 68-point one; no
new model) on the first part, and measures the fitted and the default thresholds on the
held-out part. The fit keeps BPCER <= 5 % on the part it sees and, within that, lowers
the worst species' APCER. Everything is re-judged from the cues the windows kept
(:func:`biometrics.pad.judging.rejudge`), so one pass over the frames serves every
candidate.

The config file (:class:`LivenessConfigFile`, JSON) is what the agent's
``face.liveness_config`` points at; it is validated whole on load.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from biometrics.errors import BiometricsError
from biometrics.liveness import LivenessSettings
from biometrics.pad.judging import JudgedSession, rejudge_all
from biometrics.pad.metrics import PadReport, pad_report
from biometrics.pad.recording import ATTACK_SPECIES, PresentationLabel, RecordedSession

__all__ = [
    "CalibrationError",
    "CalibrationResult",
    "HeldOutFigures",
    "LivenessConfigError",
    "LivenessConfigFile",
    "calibrate",
    "check_calibration_set",
    "load_liveness_config",
    "split_sessions",
    "write_liveness_config",
]

_GRID = 12  # candidate values per threshold: 12^3 candidates re-judged from stored cues


class CalibrationError(BiometricsError):
    """The sessions cannot be calibrated on (no attacks, no bona fide, too few to split)."""


class LivenessConfigError(BiometricsError):
    """A liveness config file is missing, not JSON or not valid (the message says where)."""


class HeldOutFigures(BaseModel):
    """What the held-out sessions measured, with the fitted and the default thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sessions: int = Field(ge=0)
    apcer_worst: float = Field(ge=0, le=1, description="Worst species' APCER, fitted")
    bpcer: float = Field(ge=0, le=1, description="BPCER, fitted")
    default_apcer_worst: float = Field(ge=0, le=1, description="Worst APCER, default thresholds")
    default_bpcer: float = Field(ge=0, le=1, description="BPCER, default thresholds")


class LivenessConfigFile(BaseModel):
    """A gate's liveness config, as ``portgate liveness calibrate`` writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    kind: Literal["portgate.liveness_config"] = "portgate.liveness_config"
    gate: str = Field(min_length=1, max_length=64, description="The gate it was fitted for")
    calibrated_at: AwareDatetime
    recording: str = Field(default="", max_length=1000, description="The recording fitted on")
    fitted_sessions: int = Field(ge=0)
    held_out: HeldOutFigures
    settings: LivenessSettings


def load_liveness_config(path: Path) -> LivenessConfigFile:
    """Read and validate a gate's liveness config file.

    Raises:
        LivenessConfigError: missing, not JSON, or not a valid liveness config.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LivenessConfigError(f"cannot read liveness config {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LivenessConfigError(f"liveness config {path} is not JSON: {exc}") from None
    try:
        return LivenessConfigFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise LivenessConfigError(f"liveness config {path}: {where}: {first['msg']}") from None


def write_liveness_config(path: Path, config: LivenessConfigFile) -> None:
    """Write a liveness config file (through a temporary file, so a reader never sees half)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(config.model_dump_json(indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted thresholds and what they measured on the fit and the held-out sessions."""

    settings: LivenessSettings
    fit: PadReport
    held_out: PadReport
    default_held_out: PadReport
    fit_sessions: int
    held_out_sessions: int

    def figures(self) -> HeldOutFigures:
        """The held-out figures the config file keeps."""
        return HeldOutFigures(
            sessions=self.held_out_sessions,
            apcer_worst=self.held_out.apcer,
            bpcer=self.held_out.bpcer.rate,
            default_apcer_worst=self.default_held_out.apcer,
            default_bpcer=self.default_held_out.bpcer.rate,
        )


def _rank(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def split_sessions(
    judged: Sequence[JudgedSession], held_out_fraction: float
) -> tuple[list[JudgedSession], list[JudgedSession]]:
    """Split into (fit, held out), per label, a subject's sessions of a label on one side."""
    fit: list[JudgedSession] = []
    held: list[JudgedSession] = []
    for label in PresentationLabel:
        groups: dict[str, list[JudgedSession]] = {}
        for j in judged:
            if j.session.info.label is label:
                key = j.session.info.subject or j.session.path.name
                groups.setdefault(key, []).append(j)
        if not groups:
            continue
        names = sorted(groups, key=_rank)
        take = min(max(1, round(held_out_fraction * len(names))), len(names) - 1)
        for rank, name in enumerate(names):
            (held if rank < take else fit).extend(groups[name])
    return fit, held


def check_calibration_set(sessions: Sequence[RecordedSession]) -> None:
    """Refuse a set that cannot be calibrated on, before any frame is judged.

    Raises:
        CalibrationError: no attack sessions, no bona fide sessions, or fewer than two of
            bona fide and of the best-recorded species (of different subjects, where
            subjects are named), so none could be held out.
    """
    attacks = [s for s in sessions if s.is_attack]
    bona = [s for s in sessions if not s.is_attack]
    if not attacks:
        raise CalibrationError("the calibration set has no attack sessions; record some first")
    if not bona:
        raise CalibrationError("the calibration set has no bona fide sessions; record some first")

    def groups(items: list[RecordedSession], label: PresentationLabel) -> int:
        return len({s.info.subject or s.path.name for s in items if s.info.label is label})

    # Each label holds out some of its subjects only when it has two or more.
    if (
        groups(bona, PresentationLabel.BONA_FIDE) < 2
        or max(groups(attacks, label) for label in ATTACK_SPECIES) < 2
    ):
        raise CalibrationError(
            "the calibration set needs at least 2 bona fide sessions and 2 sessions of one "
            "attack species (of different subjects where subjects are named): one of each "
            "is held out"
        )


def _candidates(judged: Sequence[JudgedSession], cue: str, default: float) -> list[float]:
    values = [v.details[cue] for j in judged for v in j.windows if cue in v.details]
    values = [v for v in values if math.isfinite(v) and v > 0]
    if not values:
        return [default]
    grid = np.quantile(values, np.linspace(0.0, 1.0, _GRID))
    return sorted({default, *(float(v) for v in grid)})


def _motion_fields(judged: Sequence[JudgedSession]) -> tuple[str, str]:
    """The settings the motion cues are judged by: 5-point cues (flow, eye closure) or 68."""
    five = any(v.details.get("landmarks") == 5.0 for j in judged for v in j.windows)
    return ("min_flow_residual", "min_closure") if five else ("min_nonrigid", "min_blink")


def _fit(
    judged: Sequence[JudgedSession], base: LivenessSettings, max_bpcer: float
) -> LivenessSettings:
    best: tuple[tuple[float, ...], LivenessSettings] | None = None
    parallax_field, blink_field = _motion_fields(judged)
    base_parallax, base_blink = getattr(base, parallax_field), getattr(base, blink_field)
    moire = [m * 1.0001 for m in _candidates(judged, "moire", base.max_moire)]
    nonrigid = _candidates(judged, "nonrigid", base_parallax)
    blink = [min(b, 1.0) for b in _candidates(judged, "blink", base_blink)]
    for max_moire, parallax, blinked in itertools.product(moire, nonrigid, blink):
        settings = base.model_copy(
            update={"max_moire": max_moire, parallax_field: parallax, blink_field: blinked}
        )
        report = pad_report(rejudge_all(judged, settings), max_bpcer)
        rates = [s.rate for s in report.species]
        bpcer = report.bpcer.rate
        # BPCER within the bound first, then the worst species, then all species, then BPCER;
        # last, the candidate nearest the defaults (the fit moves only as far as it must).
        distance = (
            abs(math.log(max_moire / base.max_moire))
            + abs(math.log(parallax / base_parallax))
            + abs(math.log(blinked / base_blink))
        )
        key = (float(bpcer > max_bpcer), report.apcer, sum(rates) / len(rates), bpcer, distance)
        if best is None or key < best[0]:
            best = (key, settings)
    assert best is not None  # noqa: S101 - at least the defaults were tried
    return best[1]


def calibrate(
    judged: Sequence[JudgedSession],
    *,
    base: LivenessSettings,
    held_out_fraction: float = 1 / 3,
    max_bpcer: float = 0.05,
) -> CalibrationResult:
    """Fit the liveness thresholds on part of the sessions and measure them on the rest.

    Args:
        judged: Every session, judged once (the cues of each window kept).
        base: The thresholds to start from (and the default the result is compared with).
        held_out_fraction: Share of each label's subjects held out of the fit.
        max_bpcer: The BPCER the fit keeps to on the sessions it sees.

    Raises:
        CalibrationError: no attacks, no bona fide sessions, or too few to hold some out.
    """
    check_calibration_set([j.session for j in judged])
    fit, held = split_sessions(judged, held_out_fraction)
    settings = _fit(fit, base, max_bpcer)
    return CalibrationResult(
        settings=settings,
        fit=pad_report(rejudge_all(fit, settings), max_bpcer),
        held_out=pad_report(rejudge_all(held, settings), max_bpcer),
        default_held_out=pad_report(rejudge_all(held, base), max_bpcer),
        fit_sessions=len(fit),
        held_out_sessions=len(held),
    )
