"""Errors raised by ``biometrics``.

::

    BiometricsError
    ├── ImageError        an image file is missing, unreadable or not an image
    │   └── ImageTooLargeError  its header declares more pixels than allowed
    ├── ModelFileError    a configured model file is missing or cannot be loaded
    └── TemplateError     a serialised template has the wrong size or values
"""

__all__ = [
    "BiometricsError",
    "ImageError",
    "ImageTooLargeError",
    "ModelFileError",
    "TemplateError",
]


class BiometricsError(Exception):
    """Base class of every error raised by ``biometrics``."""


class ImageError(BiometricsError):
    """An image file is missing, unreadable or not an image."""


class ImageTooLargeError(ImageError):
    """An image's header declares more pixels than allowed; nothing was decoded."""


class ModelFileError(BiometricsError):
    """A configured model file is missing or cannot be loaded."""


class TemplateError(BiometricsError):
    """A serialised face template has the wrong size or holds non-finite values."""
