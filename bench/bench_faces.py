"""Face detection and encoding time on one core-bound CPU, and which dlib is active.

usage: .venv/bin/python bench/bench_faces.py [--repeats 5] [IMAGE]

IMAGE defaults to ../shared/data/faces/obama-720p.jpg (1280x720). Baseline: what
face_recognition does by default (HOG with one upsample on the full frame, then 5-point
landmarks and one encoding). Ours: HOG without upsampling on the frame downscaled to
640x360 (GATE_PIPELINE), and the enrollment pipeline (5 landmarks by default; the chip, its
mirror and four re-aligned chips: six encodings).
A dlib without BLAS (the dlib-bin wheel) needs about 77-100 ms per encoding (the
face_recognition row); with OpenBLAS about 17 ms (`make dlib-blas`). Ours runs the same
ResNet weights in numpy (biometrics/resnet): about 14 ms on one thread, with dlib-bin.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import face_recognition

from biometrics import (
    ENROLLMENT_PIPELINE,
    GATE_PIPELINE,
    FaceEncoder,
    HogDetector,
    dlib_build_info,
    load_image,
)

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces"


def median_ms(call: Callable[[], object], repeats: int) -> float:
    call()  # load models, warm caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", type=Path, default=DEFAULT / "obama-720p.jpg")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    image = load_image(args.image)
    print(f"dlib build: {dlib_build_info()}")
    print(f"image {args.image.name}: {image.shape[1]}x{image.shape[0]}; medians of {args.repeats}")
    r = args.repeats
    base_detect = median_ms(lambda: face_recognition.face_locations(image), r)
    ours_detect = median_ms(lambda: HogDetector().detect(image), r)
    print(f"detect  face_recognition default (HOG, 1 upsample, full frame): {base_detect:7.1f} ms")
    print(f"detect  ours (HOG, no upsample, 640 px wide):                   {ours_detect:7.1f} ms")
    print(f"        ratio {base_detect / ours_detect:.1f}x")
    box = HogDetector().detect(image)[0]
    css = [(box.top, box.right, box.bottom, box.left)]
    base_encode = median_ms(lambda: face_recognition.face_encodings(image, css), r)
    five = median_ms(lambda: FaceEncoder(landmark_points=5).encode(image, box), r)
    enroll = median_ms(lambda: ENROLLMENT_PIPELINE.encoder.encode(image, box), r)
    print(f"encode  face_recognition (5 points, 1 jitter): {base_encode:7.1f} ms")
    print(f"encode  ours, gate (5 points, 1 jitter):       {five:7.1f} ms")
    print(f"encode  ours, enrollment (5 points, 6 chips):  {enroll:7.1f} ms")
    gate = median_ms(lambda: GATE_PIPELINE.encode_image(image), r)
    print(f"gate pipeline, frame to encoding:              {gate:7.1f} ms")


if __name__ == "__main__":
    main()
