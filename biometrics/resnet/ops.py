"""The layers of dlib's face ResNet as plain data, in forward order (no behaviour here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["AddPrev", "Affine", "Conv", "Fc", "Op", "Pool", "Relu", "Skip", "Tag"]

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Conv:
    """dlib ``con_``: weights (filters, C*kh*kw) in dlib's (filter, channel, row, col) order."""

    w: F32
    b: F32 | None
    kh: int
    kw: int
    stride: int
    pad: int


@dataclass(frozen=True)
class Affine:
    """Per-channel ``x * gamma + beta`` (an ``affine_``, or a ``bn_con`` folded into one)."""

    gamma: F32
    beta: F32


@dataclass(frozen=True)
class Pool:
    """``max_pool_`` or ``avg_pool_``; size 0 means the whole plane."""

    is_max: bool
    kh: int
    kw: int
    stride: int
    pad: int


@dataclass(frozen=True)
class Fc:
    """``fc_``: weights (inputs, outputs)."""

    w: F32
    b: F32 | None


@dataclass(frozen=True)
class Relu:
    """``relu_``."""


@dataclass(frozen=True)
class AddPrev:
    """``add_prev_``: adds the output remembered under `tag` (the smaller zero-padded)."""

    tag: int


@dataclass(frozen=True)
class Tag:
    """``tagN``: remembers the current output under `tag`."""

    tag: int


@dataclass(frozen=True)
class Skip:
    """``skipN``: continues from the output remembered under `tag`."""

    tag: int


Op = Conv | Affine | Pool | Fc | Relu | AddPrev | Tag | Skip
