"""Gate-side 1:1 accuracy: gate probes against enrollment templates on the LFW dev fold.

usage: .venv/bin/python bench/bench_gate_accuracy.py [--impostors 20000] [--cache FILE] [--old]

The shipped 1:1 threshold (DEFAULT_VERIFY_THRESHOLD) was chosen with the enrollment
pipeline on both sides. At the gate the probe comes from a camera frame, so each of the
444 images of ../shared/data/lfw-dev is encoded as an enrollment template
(ENROLLMENT_PIPELINE: 68 landmarks, mirror-averaged) and as gate probes:

* ``gate 5pt``: GATE_PIPELINE (HOG on <= 640 px, 5 landmarks, one encoding), as the
  agent's burst verifier runs it;
* ``stream first``: biometrics.FaceStream on the image as a first frame (grey HOG,
  68 landmarks, one encoding);
* ``stream followed``: FaceStream on the same image as the next frame (the face followed,
  its mirrored chip averaged with the first frame's encoding): the agent's face track;
* ``burst``: the same with BURST_STREAM (RGB search), the agent's burst verifier;
* ``enrollment``: the enrollment pipeline on both sides (the shipped threshold's basis).

Genuine pairs: the 150 listed same-person pairs, each both ways (template from one
image, probe from the other): 300 comparisons (150 for ``enrollment``, symmetric).
Impostors: the 150 listed different-person pairs plus N random pairs of images of
different people (seed 1, as ../shared/tools/eval-faces), both ways for the probes. A
probe without a face is a reject. Also printed: the threshold chosen the way the shipped
one was (0.1% quantile of impostor distances on pairs drawn with seeds 2 and 3), and the
genuine accepts at 0.1% false accepts on the seed-1 pairs. Baseline in the same run: the
enrollment pipeline on both sides, at the same threshold.

Alignment is the default 5-point model (docs/models.md). ``--old`` also encodes the
templates and the stream probes with the 68-point model (``PORTGATE_FACE_LANDMARKS=68``,
not for commercial use) and prints those rows beside, as the anchor of the old pipeline.
Then the threshold chosen on one half of the people and counted on the other
(bench/face_split.py), and the best accuracy over thresholds on the listed pairs.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import warnings
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from bench.face_split import best_accuracy, split_threshold
from biometrics import (
    BURST_STREAM,
    DEFAULT_VERIFY_THRESHOLD,
    ENROLLMENT_PIPELINE,
    GATE_PIPELINE,
    FacePipeline,
    FaceStream,
    dlib_build_info,
    load_image,
)
from biometrics.models import LANDMARKS_ENV

warnings.simplefilter("ignore")  # face_recognition_models imports pkg_resources
ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lfw-dev"
KINDS = ("enrollment", "gate 5pt", "stream first", "stream followed", "burst")
# The old pipeline (68-point alignment, opt-in only): templates and the agent's probes.
OLD_KINDS = ("old enrollment", "old stream followed", "old burst")
# The previous default templates (5 points, chip and mirror, no alignment jitter) against
# the same probes as the new ones (the probes did not change).
PREV_KINDS = ("prev enrollment", "prev stream followed", "prev burst")
PREV_PIPELINE = FacePipeline(
    detector=ENROLLMENT_PIPELINE.detector,
    encoder=replace(ENROLLMENT_PIPELINE.encoder, align_jitter=False),
)


def templates_of(kind: str) -> str:
    """The templates a kind's probes are compared with."""
    for prefix in ("old ", "prev "):
        if kind.startswith(prefix):
            return f"{prefix}enrollment"
    return "enrollment"


def probes_of(kind: str) -> str:
    """The encodings a kind compares (a prev kind's probes are the new ones)."""
    return kind if kind == "prev enrollment" else kind.removeprefix("prev ")


def encode_old(images: list[str], kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The OLD_KINDS asked for, encoded with the 68-point alignment."""
    before = os.environ.get(LANDMARKS_ENV)
    os.environ[LANDMARKS_ENV] = "68"
    try:
        base = encode_all(images, tuple(k.removeprefix("old ") for k in kinds))
    finally:
        if before is None:
            os.environ.pop(LANDMARKS_ENV, None)
        else:
            os.environ[LANDMARKS_ENV] = before
    return {f"old {k}": v for k, v in base.items() if f"old {k}" in kinds}


def encode_all(images: list[str], kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Every image as a template and as each kind of probe (NaN rows: no face)."""
    out = {k: np.full((len(images), 128), np.nan, np.float32) for k in kinds}
    for i, name in enumerate(images):
        rgb = load_image(ROOT / name)
        bgr = np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        for kind, pipeline in (
            ("enrollment", ENROLLMENT_PIPELINE),
            ("prev enrollment", PREV_PIPELINE),
            ("gate 5pt", GATE_PIPELINE),
        ):
            face = pipeline.encode_image(rgb) if kind in kinds else None
            if face is not None:
                out[kind][i] = face.encoding
        for kinds_of_stream, stream in (
            (("stream first", "stream followed"), FaceStream()),
            ((None, "burst"), FaceStream(BURST_STREAM)),
        ):
            if not any(k in kinds for k in kinds_of_stream):
                continue
            for kind in kinds_of_stream:
                faces = stream.faces(bgr)
                if faces and kind in kinds:
                    out[kind][i] = faces[0].encoding
    return out


def impostor_pairs(images: list[str], listed: list[tuple[str, str]], seed: int, n: int):
    """The listed different-person pairs plus n random ones (as eval-faces draws them)."""
    rng = random.Random(seed)
    extra: set[tuple[str, str]] = set()
    while len(extra) < n:
        a, b = rng.sample(images, 2)
        if Path(a).parent.name != Path(b).parent.name:
            extra.add((min(a, b), max(a, b)))
    return listed + sorted(extra)


def distances(templates, probes, pairs, index, *, both: bool) -> np.ndarray:
    """Template-to-probe distances of the pairs (inf where the probe has no face)."""
    rows = []
    for a, b in pairs:
        for t, p in ((a, b), (b, a)) if both else ((a, b),):
            rows.append((index[t], index[p]))
    t_idx, p_idx = np.array(rows).T
    diff = templates[t_idx].astype(np.float64) - probes[p_idx].astype(np.float64)
    dist = np.sqrt((diff * diff).sum(axis=1))
    return np.where(np.isnan(dist), np.inf, dist)


def main() -> None:
    """Encode, pair, print the table and FIGURE lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impostors", type=int, default=20000)
    parser.add_argument("--cache", type=Path, help="reuse (or write) the encodings here")
    parser.add_argument("--old", action="store_true", help="the 68-point pipeline beside")
    args = parser.parse_args()
    if not (ROOT / "pairs.tsv").is_file():
        raise SystemExit(f"LFW dev fold not found at {ROOT}")
    lines = (ROOT / "pairs.tsv").read_text().splitlines()[1:]
    rows = [line.split("\t") for line in lines if line.strip()]
    genuine = [(a, b) for a, b, same in rows if same == "1"]
    listed = [(a, b) for a, b, same in rows if same == "0"]
    images = sorted({p for a, b, _ in rows for p in (a, b)})
    index = {name: i for i, name in enumerate(images)}
    print(f"dlib build: {dlib_build_info()}")
    started = time.perf_counter()
    enc: dict[str, np.ndarray] = {}
    if args.cache and args.cache.is_file():
        cached = np.load(args.cache)
        enc = {k: cached[k.replace(" ", "_")] for k in ALL if k.replace(" ", "_") in cached}
    kinds = KINDS + PREV_KINDS + (OLD_KINDS if args.old else ())
    missing = tuple(probes_of(k) for k in kinds if probes_of(k) not in enc)
    if missing:
        enc.update(encode_all(images, tuple(k for k in missing if k in KINDS + PREV_KINDS)))
        enc.update(encode_old(images, tuple(k for k in missing if k in OLD_KINDS)))
        if args.cache:
            np.savez(args.cache, **{k.replace(" ", "_"): v for k, v in enc.items()})
    print(f"{len(images)} images encoded in {time.perf_counter() - started:.0f} s")
    evaluation = impostor_pairs(images, listed, 1, args.impostors)
    choosing = [impostor_pairs(images, listed, s, args.impostors) for s in (2, 3)]
    threshold = DEFAULT_VERIFY_THRESHOLD
    print(f"at the shipped threshold {threshold}:")
    for kind in kinds:
        templates, probes = enc[templates_of(kind)], enc[probes_of(kind)]
        both = not kind.endswith("enrollment")
        gen = distances(templates, probes, genuine, index, both=both)
        imp = distances(templates, probes, evaluation, index, both=both)
        ga, fa = float(np.mean(gen < threshold)), float(np.mean(imp < threshold))
        far_thr = float(np.sort(imp)[int(len(imp) * 0.001)])
        chosen = [
            float(np.quantile(distances(templates, probes, c, index, both=both), 0.001))
            for c in choosing
        ]
        no_face = int(np.isnan(probes[:, 0]).sum())
        print(
            f"  {kind:16s} genuine accepts {ga:6.1%} ({len(gen)}), false accepts {fa:.3%}"
            f" ({int(np.sum(imp < threshold))}/{len(imp)}); at FAR<=0.1%: GA"
            f" {np.mean(gen < far_thr):.1%} (< {far_thr:.3f}); chosen as shipped:"
            f" {chosen[0]:.3f}/{chosen[1]:.3f}; no face {no_face}"
        )
        for t in (0.53, 0.55):
            print(
                f"  {'':16s} at {t}: genuine accepts {np.mean(gen < t):6.1%},"
                f" false accepts {np.mean(imp < t):.3%}"
            )
        if kind == "enrollment":
            base_ga, base_fa = ga, fa
        if not both or kind.startswith(("old ", "prev ")):
            continue
        key = kind.replace(" ", "-")
        print(
            f"FIGURE gate_accuracy|genuine accepts at {threshold}, {key} probe|{ga * 100:.2f}|%"
            f"|enrollment both sides|{base_ga * 100:.2f}|>= 93%|{'yes' if ga >= 0.93 else 'no'}"
        )
        print(
            f"FIGURE gate_accuracy|false accepts at {threshold}, {key} probe|{fa * 100:.3f}|%"
            f"|enrollment both sides|{base_fa * 100:.3f}|<= 0.2%|{'yes' if fa <= 0.002 else 'no'}"
        )
    report_split(enc, kinds, images, index, genuine, listed, threshold)


def report_split(enc, kinds, images, index, genuine, listed, threshold) -> None:  # type: ignore[no-untyped-def]
    """Threshold tuned on half the people, figures on the other half; best accuracy."""
    pairs = [(index[a], index[b]) for a, b in genuine]
    print("threshold tuned on half the people (hash of names), counted on the other half:")
    rules: dict[str, float] = {}
    for kind in (k for k in kinds if k not in ("stream first", "gate 5pt")):
        templates, probes = enc[templates_of(kind)], enc[probes_of(kind)]
        both = not kind.endswith("enrollment")
        tuned = split_threshold(templates, probes, images, pairs, both=both, threshold=9.0)
        rules[kind] = tuned.rule
        for t in sorted({tuned.rule, threshold}):
            r = split_threshold(templates, probes, images, pairs, both=both, threshold=t)
            print(
                f"  {kind:19s} tuned {tuned.tuned:.3f}, rule {tuned.rule:.3f} on"
                f" {tuned.tuning_impostors} impostor pairs; held-out at {t:.3f}:"
                f" genuine accepts {r.genuine_accepts:6.1%}"
                f" ({r.held_genuine}), false accepts {r.false_accepts:.3%}"
                f" ({r.false_accept_count}/{r.held_impostors})"
            )
        if not both:
            gen = distances(templates, probes, genuine, index, both=False)
            imp = distances(templates, probes, listed, index, both=False)
            print(f"  {kind:19s} best accuracy on the listed pairs: {best_accuracy(gen, imp):.1%}")
    for prefix in ("old ", "prev "):
        chosen = [v for k, v in rules.items() if templates_of(k) == f"{prefix}enrollment"]
        if chosen:  # one threshold for templates and every probe: the strictest
            print(f"  {prefix}pipeline: threshold to ship (smallest rule) {min(chosen):.3f}")
    new = min(v for k, v in rules.items() if templates_of(k) == "enrollment")
    print(f"  new pipeline: threshold to ship (smallest rule) {new:.3f}")


ALL = KINDS + ("prev enrollment",) + OLD_KINDS

if __name__ == "__main__":
    main()
