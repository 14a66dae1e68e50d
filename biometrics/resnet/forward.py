"""dlib's face ResNet's forward pass in numpy: im2col and float32 matrix products (BLAS).

dlib-bin, the default install, has no BLAS: a descriptor costs it 77-133 ms of CPU. The same
network through numpy's bundled OpenBLAS costs 13-14 ms on one thread, and agrees with
dlib's own to 1e-6 (tests/biometrics/test_resnet_numpy.py; docs/performance.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from biometrics.resnet.dlib_format import INPUT_MEANS
from biometrics.resnet.ops import F32, AddPrev, Affine, Conv, Fc, Op, Pool, Relu, Skip, Tag

__all__ = ["CHIP_SHAPE", "Network"]

CHIP_SHAPE = (150, 150, 3)


def _valid(n_in: int, n_out: int, d: int, stride: int, pad: int) -> tuple[int, int]:
    """The outputs [lo, hi) whose input index o * stride + d - pad lies inside [0, n_in)."""
    lo = max(0, -((d - pad) // stride))
    hi = min(n_out, (n_in - 1 - d + pad) // stride + 1)
    return lo, max(lo, hi)


def _im2col(x: F32, kh: int, kw: int, stride: int, pad: int) -> tuple[F32, int, int]:
    """(C, B, H, W) -> columns (C*kh*kw, B*Ho*Wo) in dlib's filter order, zero padded."""
    c, b, h, w = x.shape
    ho, wo = 1 + (h + 2 * pad - kh) // stride, 1 + (w + 2 * pad - kw) // stride
    cols = np.zeros((c, kh, kw, b, ho, wo), dtype=np.float32)
    for dy in range(kh):
        y0, y1 = _valid(h, ho, dy, stride, pad)
        iy = y0 * stride + dy - pad
        for dx in range(kw):
            x0, x1 = _valid(w, wo, dx, stride, pad)
            ix = x0 * stride + dx - pad
            rows = x[:, :, iy : iy + stride * (y1 - y0 - 1) + 1 : stride]
            cols[:, dy, dx, :, y0:y1, x0:x1] = rows[
                ..., ix : ix + stride * (x1 - x0 - 1) + 1 : stride
            ]
    return cols.reshape(c * kh * kw, b * ho * wo), ho, wo


def _conv(op: Conv, x: F32) -> F32:
    b = x.shape[1]
    cols, ho, wo = _im2col(x, op.kh, op.kw, op.stride, op.pad)
    y = op.w @ cols
    if op.b is not None:
        y += op.b[:, None]
    return y.reshape(-1, b, ho, wo)


def _pool(op: Pool, x: F32) -> F32:
    if op.kh == 0:  # the whole plane
        mean: F32 = x.mean(axis=(2, 3), keepdims=True, dtype=np.float32)
        return mean
    if op.pad:
        raise ValueError("a padded pooling is not this network")
    s, (h, w) = op.stride, x.shape[2:]
    ho, wo = 1 + (h - op.kh) // s, 1 + (w - op.kw) // s
    out = np.empty(0, dtype=np.float32)
    for dy in range(op.kh):
        for dx in range(op.kw):
            window = x[:, :, dy : dy + s * (ho - 1) + 1 : s, dx : dx + s * (wo - 1) + 1 : s]
            if not out.size:
                out = window.copy()
            elif op.is_max:
                np.maximum(out, window, out=out)
            else:
                out += window
    return out if op.is_max else out * np.float32(1 / (op.kh * op.kw))


def _add(a: F32, b: F32) -> F32:
    """Add as dlib's ``add_prev`` does: over the larger shape, the smaller zero-padded."""
    if a.shape == b.shape:
        return a + b
    shape = tuple(max(p, q) for p, q in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape, dtype=np.float32)
    out[: a.shape[0], :, : a.shape[2], : a.shape[3]] += a
    out[: b.shape[0], :, : b.shape[2], : b.shape[3]] += b
    return out


class Network:
    """The face ResNet's layers (`biometrics.resnet.dlib_format.read_network`), run forward."""

    def __init__(self, ops: list[Op]) -> None:
        """A network of `ops` in forward order (an affine layer must follow a convolution)."""
        self._ops = ops
        self._means = np.array(INPUT_MEANS, dtype=np.float32)[:, None, None, None]

    @property
    def nbytes(self) -> int:
        """The memory its weights hold."""
        arrays = (v for op in self._ops for v in vars(op).values())
        return sum(v.nbytes for v in arrays if isinstance(v, np.ndarray))

    def descriptors(self, chips: npt.NDArray[np.uint8]) -> F32:
        """The 128-d descriptors of a batch of 150x150 RGB chips, shape (B, 150, 150, 3).

        Raises:
            ValueError: The chips do not have that shape.
        """
        if chips.ndim != 4 or chips.shape[1:] != CHIP_SHAPE:
            raise ValueError(f"face chips must have shape (n, 150, 150, 3), not {chips.shape}")
        x: F32 = chips.transpose(3, 0, 1, 2).astype(np.float32)
        x -= self._means
        x /= np.float32(256)
        remembered: dict[int, F32] = {}
        for op in self._ops:
            if isinstance(op, Fc):
                flat = x.reshape(x.shape[0], x.shape[1]).T  # (B, C): the plane is 1x1 here
                out = flat @ op.w if op.b is None else flat @ op.w + op.b
                return np.ascontiguousarray(out, dtype=np.float32)
            x = _step(op, x, remembered)
        raise ValueError("the network has no fully connected layer")


def _step(op: Op, x: F32, remembered: dict[int, F32]) -> F32:
    """One layer forward (every kind but the last, fully connected one)."""
    if isinstance(op, Conv):
        return _conv(op, x)
    if isinstance(op, Affine):  # in place: the input is a convolution's own output
        x *= op.gamma[:, None, None, None]
        x += op.beta[:, None, None, None]
        return x
    if isinstance(op, Relu):
        return np.maximum(x, 0, out=x)
    if isinstance(op, Pool):
        return _pool(op, x)
    if isinstance(op, Tag):
        remembered[op.tag] = x
        return x
    if isinstance(op, Skip):
        return remembered[op.tag]
    if isinstance(op, AddPrev):
        return _add(x, remembered[op.tag])
    raise ValueError(f"a {type(op).__name__} layer in the middle of the network")
