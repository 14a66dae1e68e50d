"""Reading ``dlib_face_recognition_resnet_model_v1.dat``: dlib's serialization of ``anet_type``.

The format, from dlib's own source (dlib/serialize.h, dlib/dnn/core.h, layers.h, input.h,
cuda/tensor.h):

* integers: a control byte (bit 7: negative; low 4 bits: how many bytes follow), then the
  absolute value, little endian; floats: ``float_details``, an integer mantissa and an
  integer exponent; strings: their length, then the bytes; bools: ASCII ``'1'``/``'0'``;
* tensors: a version (1: ``float_details`` per element; 2: raw little-endian float32), then
  num_samples, k, nr, nc; alias tensors: version 1 and four sizes;
* ``add_loss_layer``: version, the loss's details, the network; ``add_layer``: version, the
  layer below, this layer's details, three bools and three tensors; tag and skip layers:
  version and the layer below. So the file names no network shape: tags and skips carry no
  name, and the reader walks ``anet_type``'s shape (`_anet_shape`). Reading every byte of
  the file, no more and no less, is the check that the shape is right.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from biometrics.resnet.ops import F32, AddPrev, Affine, Conv, Fc, Op, Pool, Relu, Skip, Tag

__all__ = ["ModelFormatError", "read_network"]

Kind = Literal["layer", "tag", "skip"]
# dlib's input layer: the chip's mean colour (subtracted) and its scale (divided by 256).
INPUT_MEANS = (122.782, 117.001, 104.298)
_SPECIAL_EXPONENTS = {32000: math.inf, 32001: -math.inf, 32002: math.nan}


class ModelFormatError(ValueError):
    """The file is not the face ResNet this reader knows (damaged, or another network)."""


class _Reader:
    """dlib's serialization primitives over the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def octet(self) -> int:
        if self.pos >= len(self.data):
            raise ModelFormatError(f"the file ends early, at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def integer(self) -> int:
        control = self.octet()
        size = control & 0x0F
        if self.pos + size > len(self.data):
            raise ModelFormatError(f"the file ends early, at byte {self.pos}")
        value = int.from_bytes(self.data[self.pos : self.pos + size], "little")
        self.pos += size
        return -value if control & 0x80 else value

    def real(self) -> float:
        mantissa, exponent = self.integer(), self.integer()
        return _SPECIAL_EXPONENTS.get(exponent, math.ldexp(mantissa, exponent))

    def text(self) -> str:
        size = self.integer()
        text = self.data[self.pos : self.pos + size].decode("ascii", errors="replace")
        self.pos += size
        return text

    def flag(self) -> bool:
        value = self.octet()
        if value not in (0x30, 0x31):
            raise ModelFormatError(f"not a bool at byte {self.pos - 1}: {value:#x}")
        return value == 0x31

    def tensor(self) -> F32:
        version = self.integer()
        shape = tuple(self.integer() for _ in range(4))
        count = math.prod(shape)
        if version == 2:
            if self.pos + 4 * count > len(self.data):
                raise ModelFormatError(f"the file ends early, in a tensor at byte {self.pos}")
            values = np.frombuffer(self.data, "<f4", count, self.pos).astype(np.float32)
            self.pos += 4 * count
        elif version == 1:
            values = np.array([self.real() for _ in range(count)], dtype=np.float32)
        else:
            raise ModelFormatError(f"unknown tensor version {version} at byte {self.pos}")
        return values.reshape(shape)

    def alias(self) -> tuple[int, ...]:
        if self.integer() != 1:
            raise ModelFormatError(f"unknown alias tensor version at byte {self.pos}")
        return tuple(self.integer() for _ in range(4))

    def multipliers(self) -> None:
        for _ in range(4):  # learning-rate and weight-decay multipliers: training only
            self.real()


def _conv(r: _Reader, version: str) -> Op | None:
    params = r.tensor().ravel()
    filters, kh, kw, stride_y, stride_x, pad_y, pad_x = (r.integer() for _ in range(7))
    weights_shape, bias_shape = r.alias(), r.alias()
    r.multipliers()
    use_bias = r.flag() if version in ("con_5", "con_6") else True
    if version == "con_6" and r.flag():
        raise ModelFormatError("a convolution with a fused relu is not this network")
    if stride_y != stride_x or pad_y != pad_x:
        raise ModelFormatError("a non-square convolution is not this network")
    count = math.prod(weights_shape)
    weights = params[:count].reshape(filters, -1).copy()
    bias = params[count : count + math.prod(bias_shape)].copy() if use_bias else None
    return Conv(weights, bias, kh, kw, stride_y, pad_y)


def _affine(r: _Reader, version: str) -> Op | None:
    params = r.tensor().ravel()
    gamma_shape, _ = r.alias(), r.alias()
    if r.integer() != 0:  # layer_mode: CONV_MODE is 0
        raise ModelFormatError("an affine layer in FC mode is not this network")
    if version == "affine_2" and r.flag():
        return None  # disabled
    n = math.prod(gamma_shape)
    return Affine(params[:n].copy(), params[n : 2 * n].copy())


def _batch_norm(r: _Reader, _: str) -> Op | None:
    params = r.tensor().ravel()
    gamma_shape, _beta = r.alias(), r.alias()
    r.tensor(), r.tensor()  # the last batch's means and inverse deviations: training only
    mean, variance = r.tensor().ravel(), r.tensor().ravel()
    r.integer(), r.integer()  # updates counted, running-statistics window
    r.multipliers()
    eps = np.float32(r.real())
    n = math.prod(gamma_shape)
    gamma = params[:n] / np.sqrt(variance + eps)
    return Affine(gamma, params[n : 2 * n] - gamma * mean)


def _pool(r: _Reader, version: str) -> Op | None:
    kh, kw, stride_y, stride_x, pad_y, pad_x = (r.integer() for _ in range(6))
    if kh != kw or stride_y != stride_x or pad_y != pad_x:
        raise ModelFormatError("a non-square pooling is not this network")
    return Pool(version == "max_pool_2", kh, kw, stride_y, pad_y)


def _fc(r: _Reader, version: str) -> Op | None:
    r.integer(), r.integer()  # outputs, inputs: the alias shapes say the same
    params = r.tensor().ravel()
    weights_shape, bias_shape = r.alias(), r.alias()
    has_bias = r.integer() == 0  # FC_HAS_BIAS is 0
    r.multipliers()
    if version == "fc_3":
        has_bias = r.flag() and has_bias
    count = math.prod(weights_shape)
    weights = params[:count].reshape(weights_shape[0], weights_shape[1]).copy()
    bias = params[count : count + math.prod(bias_shape)].copy() if has_bias else None
    return Fc(weights, bias)


def _relu(r: _Reader, version: str) -> Op | None:
    disabled = version == "relu_2" and r.flag()
    return None if disabled else Relu()


_LAYERS: dict[str, Callable[[_Reader, str], Op | None]] = {
    **dict.fromkeys(("con_4", "con_5", "con_6"), _conv),
    **dict.fromkeys(("affine_", "affine_2"), _affine),
    "bn_con2": _batch_norm,
    **dict.fromkeys(("max_pool_2", "avg_pool_2"), _pool),
    **dict.fromkeys(("fc_2", "fc_3"), _fc),
    **dict.fromkeys(("relu_", "relu_2"), _relu),
}


def _block() -> list[tuple[Kind, int]]:
    # BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>, outermost first.
    return [("layer", 0)] * 5


def _residual() -> list[tuple[Kind, int]]:
    # relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return [("layer", 0), ("layer", 0), *_block(), ("tag", 1)]


def _residual_down() -> list[tuple[Kind, int]]:
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>
    head: list[tuple[Kind, int]] = [("layer", 0)] * 3
    return [*head, ("skip", 1), ("tag", 2), *_block(), ("tag", 1)]


def _anet_shape() -> list[tuple[Kind, int]]:
    """``anet_type`` below its loss, outermost first (the order of the file)."""
    shape: list[tuple[Kind, int]] = [("layer", 0), ("layer", 0)]  # fc, avg_pool_everything
    shape += _residual_down()  # alevel0: 256 filters
    shape += _residual() + _residual() + _residual_down()  # alevel1: 256
    shape += _residual() + _residual() + _residual_down()  # alevel2: 128
    shape += _residual() + _residual() + _residual() + _residual_down()  # alevel3: 64
    shape += _residual() + _residual() + _residual()  # alevel4: 32
    shape += [("layer", 0)] * 4  # max_pool, relu, affine, con on the input
    return shape


def _details(r: _Reader, ops: list[Op], tag_below: int) -> None:
    """One layer's details (its version string names its kind), appended as an op."""
    version = r.text()
    if version == "add_prev_":
        ops.append(AddPrev(tag_below))  # its tag is not in the file: the nearest one below
        return
    reader = _LAYERS.get(version)
    if reader is None:
        raise ModelFormatError(f"a {version!r} layer at byte {r.pos} is not this network")
    op = reader(r, version)
    if op is not None:
        ops.append(op)


def _input(r: _Reader) -> None:
    if r.text() not in ("input_rgb_image_sized", "input_rgb_image"):
        raise ModelFormatError("the innermost layer is not an RGB image input")
    means = tuple(round(r.real(), 3) for _ in range(3))
    if means != INPUT_MEANS:
        raise ModelFormatError(f"unexpected input means {means}")
    r.integer(), r.integer()  # the sized input's rows and columns (150)


def _layers(r: _Reader, shape: list[tuple[Kind, int]], at: int, ops: list[Op]) -> None:
    kind, tag = shape[at]
    version = r.integer()
    if kind != "layer":
        if version != 1:
            raise ModelFormatError(f"a {kind} layer of version {version} at byte {r.pos}")
        _layers(r, shape, at + 1, ops)
        ops.append(Tag(tag) if kind == "tag" else Skip(tag))
        return
    innermost = at == len(shape) - 1
    if innermost:
        _input(r)
    else:
        _layers(r, shape, at + 1, ops)
    _details(r, ops, next((t for k, t in shape[at + 1 :] if k == "tag"), 0))
    for _ in range(3):
        r.flag()
    for _ in range(3):
        r.tensor()  # gradients and cached output: training only
    if innermost and version >= 3:
        r.integer()  # sample expansion factor


def read_network(path: str | Path) -> list[Op]:
    """The layers of the face ResNet in `path`, in forward order.

    Raises:
        ModelFormatError: The file is damaged or holds another network.
        OSError: The file cannot be read.
    """
    r = _Reader(Path(path).read_bytes())
    if r.integer() != 1:
        raise ModelFormatError("not a dlib loss layer: unknown version")
    loss = r.text()
    if loss == "loss_metric_2":
        r.real(), r.real()  # margin and distance threshold: training only
    elif loss != "loss_metric_":
        raise ModelFormatError(f"the loss {loss!r} is not the face ResNet's")
    ops: list[Op] = []
    _layers(r, _anet_shape(), 0, ops)
    if r.pos != len(r.data):
        raise ModelFormatError(f"{len(r.data) - r.pos} bytes after the network")
    pairs = zip(ops, ops[1:], strict=False)
    if any(isinstance(op, Affine) and not isinstance(prev, Conv) for prev, op in pairs):
        raise ModelFormatError("an affine layer that does not follow a convolution")
    return ops
