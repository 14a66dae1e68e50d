"""Dependencies of the enrollment routes: a session that publishes, the photo context."""

from typing import Annotated

from fastapi import Depends, Request

from central_api.deps import SessionDep, SettingsDep
from central_api.enroll.gallery import FaceGallery
from central_api.enroll.photos import PhotoContext
from central_api.enroll.settings import EnrollSettings, get_enroll_settings

__all__ = [
    "EnrollSessionDep",
    "EnrollSettingsDep",
    "GalleryDep",
    "PhotoContextDep",
]


def get_gallery(request: Request) -> FaceGallery:
    """The app's duplicate-check gallery (one per API process)."""
    gallery: FaceGallery | None = getattr(request.app.state, "enroll_gallery", None)
    if gallery is None:
        gallery = FaceGallery()
        request.app.state.enroll_gallery = gallery
    return gallery


# The API's request session already publishes sync notices after its commits.
EnrollSessionDep = SessionDep
EnrollSettingsDep = Annotated[EnrollSettings, Depends(get_enroll_settings)]


def get_photo_context(
    request: Request, settings: SettingsDep, enroll: EnrollSettingsDep
) -> PhotoContext:
    """The keys and thresholds photos are handled with."""
    return PhotoContext(
        gallery=get_gallery(request),
        template_key=settings.template_key_bytes(),
        duplicate_threshold=enroll.duplicate_threshold,
    )


PhotoContextDep = Annotated[PhotoContext, Depends(get_photo_context)]

GalleryDep = Annotated[FaceGallery, Depends(get_gallery)]
