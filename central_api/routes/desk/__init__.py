"""The security desk's routes (`/enroll/...` and the `/desk` page), one module per area.

`router` carries them all; its lifespan runs the enrollment purge timer.
"""

from fastapi import APIRouter

from central_api.enroll.purge_timer import purge_lifespan
from central_api.routes.desk import (
    actions,
    bulk_import,
    documents,
    page,
    passes,
    people,
    photos,
    reader,
)

__all__ = ["router"]

router = APIRouter(lifespan=purge_lifespan)
for _module in (people, photos, passes, bulk_import, page, actions, reader, documents):
    router.include_router(_module.router)
