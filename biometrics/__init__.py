"""Face detection, encoding, quality checks, 1:1 / 1:N matching and liveness.

Images are RGB ``uint8`` arrays (height, width, 3), as face_recognition uses; convert
OpenCV frames with :func:`bgr_to_rgb`. Encodings are 128-d ``float32`` arrays. dlib and
OpenCV are imported on first use, so importing this package is cheap.
"""

from biometrics.detection import (
    CascadeDetector,
    CnnDetector,
    FaceBox,
    FaceDetector,
    HogDetector,
    YuNetDetector,
    detect_faces,
    select_primary_face,
)
from biometrics.encoding import ENCODING_SIZE, FaceEncoder, FaceEncoding, encode_face
from biometrics.errors import (
    BiometricsError,
    ImageError,
    ImageTooLargeError,
    ModelFileError,
    TemplateError,
)
from biometrics.face_stream import FaceStream
from biometrics.images import (
    ENROLLMENT_MAX_PIXELS,
    MAX_IMAGE_PIXELS,
    bgr_to_rgb,
    decode_image,
    load_image,
)
from biometrics.liveness import (
    FaceTrack,
    LivenessChecker,
    LivenessReason,
    LivenessSettings,
    LivenessVerdict,
)
from biometrics.matching import Candidate, IdentifyResult, TemplateIndex, VerifyResult, verify
from biometrics.models import dlib_build_info
from biometrics.pipeline import ENROLLMENT_PIPELINE, GATE_PIPELINE, FacePipeline
from biometrics.pose import HeadPose, estimate_pose
from biometrics.quality import QualityReason, QualityReport, QualitySettings, check_quality
from biometrics.stream_settings import (
    BURST_STREAM,
    WINDOW_FRAMES,
    WINDOW_STREAM,
    StreamFace,
    StreamSettings,
)
from biometrics.templates import (
    TEMPLATE_BYTES,
    TEMPLATE_NORM_RANGE,
    template_from_bytes,
    template_matrix,
    template_rows,
    template_to_bytes,
)
from biometrics.thresholds import (
    DEFAULT_IDENTIFY_THRESHOLD,
    DEFAULT_VERIFY_THRESHOLD,
    FaceThresholds,
)
from biometrics.watchlist import WatchlistGallery, WatchlistHit

__all__ = [
    "BURST_STREAM",
    "WINDOW_FRAMES",
    "WINDOW_STREAM",
    "DEFAULT_IDENTIFY_THRESHOLD",
    "DEFAULT_VERIFY_THRESHOLD",
    "ENCODING_SIZE",
    "ENROLLMENT_MAX_PIXELS",
    "MAX_IMAGE_PIXELS",
    "ENROLLMENT_PIPELINE",
    "GATE_PIPELINE",
    "TEMPLATE_BYTES",
    "TEMPLATE_NORM_RANGE",
    "BiometricsError",
    "Candidate",
    "CascadeDetector",
    "CnnDetector",
    "FaceBox",
    "FaceDetector",
    "FaceEncoder",
    "FaceEncoding",
    "FacePipeline",
    "FaceStream",
    "FaceThresholds",
    "FaceTrack",
    "HeadPose",
    "HogDetector",
    "IdentifyResult",
    "ImageError",
    "ImageTooLargeError",
    "LivenessChecker",
    "LivenessReason",
    "LivenessSettings",
    "LivenessVerdict",
    "ModelFileError",
    "QualityReason",
    "QualityReport",
    "QualitySettings",
    "StreamFace",
    "StreamSettings",
    "TemplateError",
    "TemplateIndex",
    "VerifyResult",
    "WatchlistGallery",
    "WatchlistHit",
    "YuNetDetector",
    "bgr_to_rgb",
    "check_quality",
    "decode_image",
    "detect_faces",
    "dlib_build_info",
    "encode_face",
    "estimate_pose",
    "load_image",
    "select_primary_face",
    "template_from_bytes",
    "template_matrix",
    "template_rows",
    "template_to_bytes",
    "verify",
]
