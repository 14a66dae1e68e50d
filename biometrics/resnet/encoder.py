"""The face encoder the pipelines call: dlib's ResNet weights run in numpy.

It answers dlib's ``compute_face_descriptor(chip, num_jitters)`` for a 150x150 chip, as
``dlib.face_recognition_model_v1`` does, so the pipelines call either the same way. A chip
is encoded by numpy; dlib's random jittering (``num_jitters`` above 1, which no default
pipeline uses) goes to dlib's own model, since numpy cannot draw dlib's jitters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from biometrics.resnet.dlib_format import read_network
from biometrics.resnet.forward import CHIP_SHAPE, Network

__all__ = ["NumpyFaceEncoder"]


@functools.cache
def _one_blas_thread() -> None:
    """Hold numpy's BLAS to one thread, for the whole process, once.

    A second thread saved at most 3 ms of a 13 ms descriptor for twice the CPU, and on a busy
    2-core box one such run took 391 ms; the gate's cores belong to its lanes. numpy loads
    its OpenBLAS before any setting in ``OPENBLAS_NUM_THREADS`` could reach it, so the limit
    is set at run time (threadpoolctl).
    """
    threadpool_limits(limits=1, user_api="blas")


class NumpyFaceEncoder:
    """dlib's face ResNet (the shipped weights) run in numpy; dlib's API for a chip."""

    def __init__(self, path: str | Path, jittering: Callable[[], Any]) -> None:
        """Read the network in `path`; `jittering()` gives dlib's own model for jitters > 1.

        Raises:
            biometrics.resnet.ModelFormatError: The file is not the face ResNet.
        """
        self._network = Network(read_network(path))
        self._jittering = jittering
        _one_blas_thread()

    @property
    def nbytes(self) -> int:
        """The memory the weights hold (about 21 MiB)."""
        return self._network.nbytes

    def compute_face_descriptor(
        self, chip: npt.NDArray[np.uint8], num_jitters: int = 0
    ) -> npt.NDArray[np.float32]:
        """The 128-d descriptor of a 150x150 RGB chip (dlib's jitter above 1 goes to dlib).

        Raises:
            ValueError: The chip is not (150, 150, 3).
        """
        if num_jitters > 1:
            jittered = self._jittering().compute_face_descriptor(chip, num_jitters)
            return np.asarray(jittered, dtype=np.float32)
        image = np.asarray(chip, dtype=np.uint8)
        if image.shape != CHIP_SHAPE:
            raise ValueError(f"a face chip must have shape (150, 150, 3), not {image.shape}")
        descriptor: npt.NDArray[np.float32] = self._network.descriptors(image[None])[0]
        return descriptor
