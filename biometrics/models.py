"""Locations of the dlib model files and lazy, shared dlib model objects.

dlib and face_recognition_models are imported on first use only, so that importing
``biometrics`` (and starting the CLI) stays cheap. The models are loaded once per
process and shared; dlib's detectors and predictors are safe to call from one thread at
a time, which is how the gate agent's worker uses them.

Every model a default path loads is licence-clean (docs/models.md lists them with their
sources and licences). Alignment uses dlib's 5-point landmark model. The 68-point model
is trained on iBUG 300-W, whose licence excludes commercial use: it is loaded only when an
operator opts in with ``PORTGATE_FACE_LANDMARKS=68`` (:func:`alignment_points`), and its
loading logs a warning naming that licence.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle
import warnings
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "ENCODER_ENV",
    "LANDMARKS_ENV",
    "alignment_points",
    "dlib_build_info",
    "encoder_model_id",
    "face_encoder_kind",
    "load_dlib",
    "model_path",
]

logger = logging.getLogger(__name__)

# The opt-in for the 68-point landmark model (docs/models.md): "5" (default) or "68".
LANDMARKS_ENV = "PORTGATE_FACE_LANDMARKS"
# What runs the face ResNet (docs/models.md): "numpy" (default) or "dlib".
ENCODER_ENV = "PORTGATE_FACE_ENCODER"
_IBUG_WARNING = (
    "loading dlib's 68-point landmark model (shape_predictor_68_face_landmarks.dat): it is "
    "trained on the iBUG 300-W data set, whose licence excludes commercial use; opt-in only "
    f"({LANDMARKS_ENV}=68 or landmark_points=68, docs/models.md)"
)


def alignment_points() -> Literal[5, 68]:
    """The landmark model the default pipelines align and track with.

    5 (dlib's licence-clean 5-point model) unless the operator sets
    ``PORTGATE_FACE_LANDMARKS=68``; read on every call, so a test or a process can switch.

    Raises:
        ValueError: If the variable holds anything but 5 or 68.
    """
    value = os.environ.get(LANDMARKS_ENV, "5").strip() or "5"
    if value == "5":
        return 5
    if value == "68":
        return 68
    raise ValueError(f"{LANDMARKS_ENV} must be 5 or 68, not {value!r}")


def load_dlib() -> Any:
    """Import and return the ``dlib`` module.

    A dlib built against OpenBLAS (``make dlib-blas``) gets one BLAS thread unless
    ``OPENBLAS_NUM_THREADS`` says otherwise: the gate agent runs its camera, scan and face
    threads on a few cores, and with two cores busy a face encoding took 119 ms with
    OpenBLAS's default threads against 63 ms with one (13 vs 15 ms on an idle machine).

    Returns:
        The dlib module (typed ``Any``: dlib ships no type information).
    """
    # Read by OpenBLAS when dlib loads it (numpy's own bundled OpenBLAS is not affected).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import dlib  # noqa: PLC0415 - deliberately lazy

    return dlib


@functools.cache
def model_path(name: str) -> Path:
    """Return the path of one model file shipped by ``face_recognition_models``.

    Args:
        name: One of ``"shape_68"``, ``"shape_5"``, ``"resnet"``, ``"mmod"``.

    Returns:
        The absolute path of the model file.

    Raises:
        ValueError: If ``name`` is not a known model.
    """
    with warnings.catch_warnings():
        # face_recognition_models still imports pkg_resources (setuptools<81 is pinned).
        warnings.simplefilter("ignore")
        import face_recognition_models as frm  # noqa: PLC0415

    locations = {
        "shape_68": frm.pose_predictor_model_location,
        "shape_5": frm.pose_predictor_five_point_model_location,
        "resnet": frm.face_recognition_model_location,
        "mmod": frm.cnn_face_detector_model_location,
    }
    if name not in locations:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(locations)}")
    return Path(locations[name]())


@functools.cache
def shape_predictor(points: int) -> Any:
    """Return the shared dlib landmark predictor with 5 or 68 points."""
    if points not in (5, 68):
        raise ValueError(f"landmark model must have 5 or 68 points, not {points}")
    if points == 68:
        logger.warning(_IBUG_WARNING)
    return load_dlib().shape_predictor(str(model_path(f"shape_{points}")))


def face_encoder_kind() -> Literal["numpy", "dlib"]:
    """Which runs the face ResNet: ``numpy`` (default) or ``dlib`` (``PORTGATE_FACE_ENCODER``).

    Both run the same weights and give the same descriptors (to 1e-6); numpy's is about seven
    times faster on the default install, whose dlib has no BLAS (``biometrics.resnet``).

    Raises:
        ValueError: If the variable holds anything else.
    """
    value = os.environ.get(ENCODER_ENV, "numpy").strip() or "numpy"
    if value not in ("numpy", "dlib"):
        raise ValueError(f"{ENCODER_ENV} must be numpy or dlib, not {value!r}")
    return "numpy" if value == "numpy" else "dlib"


def face_recognizer() -> Any:
    """Return the shared face ResNet (128-d descriptors, dlib's ``compute_face_descriptor``)."""
    return _face_recognizer(face_encoder_kind())


@functools.cache
def _face_recognizer(kind: str) -> Any:
    if kind == "dlib":
        return _dlib_face_recognizer()
    from biometrics.resnet import NumpyFaceEncoder  # noqa: PLC0415 - numpy only when used

    return NumpyFaceEncoder(model_path("resnet"), jittering=_dlib_face_recognizer)


@functools.cache
def _dlib_face_recognizer() -> Any:
    return load_dlib().face_recognition_model_v1(str(model_path("resnet")))


@functools.cache
def hog_detector() -> Any:
    """Return the shared dlib HOG frontal face detector."""
    return load_dlib().get_frontal_face_detector()


def own_hog_detector() -> Any:
    """Return a HOG frontal face detector of its own (not shared).

    For a thread that searches beside others: dlib's object detectors are not safe to use
    from two threads at once, while their search releases the GIL, so two threads with a
    detector each use two cores. A copy of a serialized detector (4 ms), not a new one
    (dlib builds its frontal detector from an encoded string: 400 ms).
    """
    return pickle.loads(_hog_detector_bytes())  # noqa: S301 (our own bytes, made below)


@functools.cache
def _hog_detector_bytes() -> bytes:
    return pickle.dumps(load_dlib().get_frontal_face_detector())


@functools.cache
def cnn_detector() -> Any:
    """Return the shared dlib CNN (MMOD) face detector; slow on CPU."""
    return load_dlib().cnn_face_detection_model_v1(str(model_path("mmod")))


def dlib_build_info() -> dict[str, object]:
    """Tell which dlib build is active, for benchmark reports.

    A dlib without BLAS (the ``dlib-bin`` wheel) needs about 77 ms per face encoding on
    one core; a build against OpenBLAS about 17 ms.

    Returns:
        ``version``, ``blas``, ``lapack``, ``cuda`` and ``avx`` (booleans, or ``None``
        when this dlib does not say).
    """
    dlib = load_dlib()
    return {
        "version": getattr(dlib, "__version__", None),
        "blas": getattr(dlib, "DLIB_USE_BLAS", None),
        "lapack": getattr(dlib, "DLIB_USE_LAPACK", None),
        "cuda": getattr(dlib, "DLIB_USE_CUDA", None),
        "avx": getattr(dlib, "USE_AVX_INSTRUCTIONS", None),
    }


def encoder_model_id() -> str:
    """The name of the face model a gate's decisions use: encoder and landmark alignment.

    Recorded with every face decision (the access event's ``face_model``), so a decision
    can be traced to the model that made it; change it with the gate's face pipeline.
    """
    return f"dlib_resnet_v1/{alignment_points()}pt"
