"""Liveness check on simulated attacks and simulated live users.

usage: .venv/bin/python bench/bench_liveness.py [--sources N] [--frames F] [--seed S]
                                                 [--stream | --window] [--stride K]

--stream: the faces are found and landmarked by biometrics.FaceStream with BURST_STREAM (as
the gate agent does: grey HOG, the landmarks it also encodes with) and judged by
LivenessChecker.assess,
instead of LivenessChecker.check finding the face in every frame again.
--window: the configuration the gate agent uses after a credential (gate_agent.face.window):
frames fed one by one to biometrics.FaceStream with WINDOW_STREAM (every frame searched
whole, in RGB, as the thresholds were calibrated), WINDOW_FRAMES frames per sequence
(unless --frames is given), judged once by LivenessChecker.assess.

--stride K: each sequence is simulated K times longer and every K-th frame judged, as when
the agent's pre-roll frames were searched ahead at a fraction of the camera's rate
(gate_agent.face.presearch).

Sources are the shared face photos plus LFW images (../shared/data). Each source gives
one sequence of each kind: the old simulated attacks (testkit/liveness_sim.py: identical
frames, a printed photo moved as a plane, a screen replay with painted moire), the
species closer to real ones (testkit/pad_species.py: a print held in a hand, a screen
replay of a still, a video replay of a moving face), and a simulated live user
(landmark-driven non-rigid warps: blink, mouth, head-turn parallax). Prints the attack
acceptance rate (APCER) per kind, the live rejection rate (BPCER), the spread of each cue,
and the per-species table in ISO/IEC 30107-3 terms with 95 % Wilson intervals, each new
species next to the old simulated attack it replaces (the anchor row, same run). Nothing
was tuned on these sequences. Everything here is simulated; see docs/liveness.md.

The simulator draws the live user's blink, mouth and turn from the 68-point landmarks, so
this benchmark loads the 68-point model (not for commercial use, docs/models.md) for the
simulation only; the check itself uses the configured model (5 points by default).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from bench.liveness_calibration import calibration_check
from biometrics import (
    BURST_STREAM,
    WINDOW_FRAMES,
    WINDOW_STREAM,
    FaceEncoder,
    FaceStream,
    HogDetector,
    LivenessChecker,
    LivenessVerdict,
    load_image,
    select_primary_face,
)
from biometrics.pad import PresentationLabel, pad_report, session_score, wilson_interval
from biometrics.pad.metrics import Scored
from testkit.liveness_sim import live_sequence, photo_attack, screen_attack, static_attack
from testkit.pad_species import print_attack, screen_replay, video_replay

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
KINDS = ("static", "photo", "screen", "print", "screen_replay", "video_replay", "live")
OLD_ATTACKS = ("static", "photo", "screen")
# Each new species, its ISO label and the old simulated attack it is compared with.
SPECIES = {
    "print": (PresentationLabel.PRINT, "photo"),
    "screen_replay": (PresentationLabel.SCREEN, "screen"),
    "video_replay": (PresentationLabel.VIDEO, "screen"),
}


def sources(count: int) -> list[Path]:
    faces = DATA / "faces"
    named = [faces / n for n in ("obama.jpg", "obama2.jpg", "biden.jpg", "lin-manuel-miranda.png")]
    lfw = sorted((DATA / "lfw-dev" / "images").glob("*/*.jpg"))
    picked = [p for p in named if p.is_file()] + lfw[:: max(1, len(lfw) // max(count, 1))]
    return picked[:count]


def prepared(path: Path) -> np.ndarray | None:
    image = load_image(path)
    # Gate frames are ~480-640 px wide with the face ~150-250 px across.
    scale = 480 / image.shape[1] if image.shape[1] > 480 else 1.6
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    image = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    face = select_primary_face(
        HogDetector().detect(image), height=image.shape[0], width=image.shape[1]
    )
    return None if face is None else image


def simulated(
    image: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, length: int
) -> dict[str, list[np.ndarray]]:
    """One sequence of every kind from one photo."""
    return {
        "static": static_attack(image, frames=length),
        "photo": photo_attack(image, rng=rng, frames=length),
        "screen": screen_attack(image, rng=rng, frames=length),
        "print": print_attack(image, rng=rng, frames=length),
        "screen_replay": screen_replay(image, rng=rng, frames=length),
        "video_replay": video_replay(image, landmarks, rng=rng, frames=length),
        "live": live_sequence(image, landmarks, rng=rng, frames=length),
    }


def _rate(accepted: int, total: int) -> str:
    low, high = wilson_interval(accepted, total)
    share = accepted / max(total, 1)
    return f"{accepted:3d}/{total:<3d} = {share:6.1%} [{low:.1%}, {high:.1%}]"


def species_table(verdicts: dict[str, list[LivenessVerdict]]) -> None:
    """The ISO/IEC 30107-3 table: APCER per species with its old anchor, BPCER, the worst."""
    scored = [
        Scored(label, v.passed, session_score(v))
        for kind, (label, _) in SPECIES.items()
        for v in verdicts[kind]
    ]
    scored += [
        Scored(PresentationLabel.BONA_FIDE, v.passed, session_score(v)) for v in verdicts["live"]
    ]
    report = pad_report(scored)
    print("per-species table (ISO/IEC 30107-3, simulated; APCER = attacks accepted as bona fide):")
    for kind, (label, anchor) in SPECIES.items():
        got, old = verdicts[kind], verdicts[anchor]
        at = next(s.at_bpcer5 for s in report.species if s.label is label)
        print(
            f"SPECIES {kind:13s} APCER {_rate(sum(v.passed for v in got), len(got))}"
            f"  at BPCER<=5% {at or 0.0:6.1%}"
            f"  | anchor {anchor} (old sim.) {_rate(sum(v.passed for v in old), len(old))}"
        )
    live = verdicts["live"]
    print(f"SPECIES bona_fide     BPCER {_rate(sum(not v.passed for v in live), len(live))}")
    worst = report.worst.label.value if report.worst else "-"
    print(
        f"worst new species: {worst} APCER {report.apcer:.1%}; "
        f"APCER at BPCER <= 5%: {report.apcer_at_bpcer5:.1%} "
        f"(score threshold {report.threshold_bpcer5:.4f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=16)
    parser.add_argument("--frames", type=int, default=None, help="default 8 (--window: 8)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dump", type=Path, help="write every verdict's cues as JSON lines")
    parser.add_argument(
        "--stride",
        type=int,
        default=1,
        help="simulate frames*stride frames and judge every stride-th (a camera faster than "
        "the frames searched: the agent's pre-roll searched ahead at ~12 of 30 fps)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--stream", action="store_true", help="faces found by FaceStream")
    mode.add_argument("--window", action="store_true", help="the agent's post-credential window")
    args = parser.parse_args()
    if args.frames is None:
        args.frames = WINDOW_FRAMES if args.window else 8
    stream_settings = WINDOW_STREAM if args.window else BURST_STREAM
    if not DATA.is_dir():
        raise SystemExit(f"shared data not found at {DATA}")
    rng = np.random.default_rng(args.seed)
    checker = LivenessChecker()
    landmarker = FaceEncoder(landmark_points=68)
    verdicts: dict[str, list[LivenessVerdict]] = {k: [] for k in KINDS}
    seconds: list[float] = []
    for path in sources(args.sources):
        image = prepared(path)
        if image is None:
            continue
        box = select_primary_face(
            HogDetector().detect(image), height=image.shape[0], width=image.shape[1]
        )
        assert box is not None  # noqa: S101 - prepared() checked it
        landmarks = landmarker.landmarks(image, box)
        length = args.frames * args.stride
        sequences = simulated(image, landmarks, rng, length)
        sequences = {kind: frames[:: args.stride] for kind, frames in sequences.items()}
        for kind, frames in sequences.items():
            start = time.perf_counter()
            if args.stream or args.window:
                stream = FaceStream(stream_settings)
                bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in frames]
                tracks = [face.liveness_track() for f in bgr for face in stream.faces(f)]
                verdicts[kind].append(checker.assess(tracks))
            else:
                verdicts[kind].append(checker.check(frames))
            seconds.append(time.perf_counter() - start)
    print(f"settings: {checker.settings.model_dump()}; faces found by", end=" ")
    if args.window:
        print("FaceStream(WINDOW_STREAM), the agent's window after a credential")
    else:
        print("FaceStream(BURST_STREAM)" if args.stream else "LivenessChecker.check")
    print(
        f"{args.frames} frames per sequence (every {args.stride}. of {args.frames * args.stride}"
        f" simulated); check time median {statistics.median(seconds):.2f} s"
    )
    for kind in KINDS:
        got = verdicts[kind]
        passed = sum(v.passed for v in got)
        label = "live rejected (BPCER)" if kind == "live" else "attacks accepted (APCER)"
        rate = (len(got) - passed) if kind == "live" else passed
        share = rate / max(len(got), 1)
        print(f"{kind:13s} n={len(got):3d}  {label}: {rate}/{len(got)} = {share:.1%}")
        for cue in ("nonrigid", "blink", "moire", "motion"):
            values = sorted(v.details.get(cue, float("nan")) for v in got)
            if values:
                q = np.nanquantile(values, [0.0, 0.5, 1.0])
                print(f"          {cue:8s} min {q[0]:.3f} median {q[1]:.3f} max {q[2]:.3f}")
        reasons = [str(v.reason) for v in got if not v.passed]
        print(f"          reasons: {dict(sorted((r, reasons.count(r)) for r in set(reasons)))}")
    if args.dump:
        with args.dump.open("w") as out:
            for kind in KINDS:
                for v in verdicts[kind]:
                    out.write(json.dumps({"kind": kind, "passed": v.passed, **v.details}) + "\n")
    attacks = [v for k in OLD_ATTACKS for v in verdicts[k]]
    accepted = sum(v.passed for v in attacks)
    print(f"overall attack acceptance: {accepted}/{len(attacks)} = {accepted / len(attacks):.1%}")
    new = [v for k in SPECIES for v in verdicts[k]]
    taken = sum(v.passed for v in new)
    print(f"new species attack acceptance: {taken}/{len(new)} = {taken / len(new):.1%}")
    live = verdicts["live"]
    rejected = sum(not v.passed for v in live)
    print(f"overall live rejection: {rejected}/{len(live)} = {rejected / max(len(live), 1):.1%}")
    species_table(verdicts)
    calibration_check(verdicts, {kind: label for kind, (label, _) in SPECIES.items()})


if __name__ == "__main__":
    main()
