"""dlib's face ResNet run in numpy: the same descriptors as dlib's, seven times faster here.

The default install's dlib (dlib-bin) has no BLAS, and a face descriptor cost it 77-133 ms
of CPU. This room reads the shipped weights (``dlib_face_recognition_resnet_model_v1.dat``,
public domain; docs/models.md) and runs the same network through numpy's own OpenBLAS on
one thread: 13-14 ms, agreeing with dlib's to 1e-6.

* ``ops``: the layers as plain data;
* ``dlib_format``: reading dlib's serialization of the network (and refusing anything else);
* ``forward``: the forward pass (im2col and matrix products);
* ``encoder``: the drop-in for ``dlib.face_recognition_model_v1`` the pipelines call.

It imports numpy and threadpoolctl only; ``biometrics.models`` chooses it or dlib's own.
"""

from biometrics.resnet.dlib_format import ModelFormatError, read_network
from biometrics.resnet.encoder import NumpyFaceEncoder
from biometrics.resnet.forward import CHIP_SHAPE, Network

__all__ = ["CHIP_SHAPE", "ModelFormatError", "Network", "NumpyFaceEncoder", "read_network"]
