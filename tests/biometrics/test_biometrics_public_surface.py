"""The public surface of `biometrics` is exactly its `__all__`."""

import biometrics

EXPECTED = {
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
}


def test_all_is_the_documented_surface() -> None:
    assert set(biometrics.__all__) == EXPECTED
    assert len(biometrics.__all__) == len(EXPECTED)


def test_every_public_name_resolves() -> None:
    for name in biometrics.__all__:
        assert getattr(biometrics, name) is not None


def test_errors_share_one_base() -> None:
    for error in (biometrics.ImageError, biometrics.ModelFileError, biometrics.TemplateError):
        assert issubclass(error, biometrics.BiometricsError)
