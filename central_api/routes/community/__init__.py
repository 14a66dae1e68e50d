"""The routes of sharing between installations.

The catch-up feed, the figures, sharing a ban, and the admin's card (`/dashboard/sharing`).
"""

from central_api.routes.community.page import router as page_router
from central_api.routes.community.routes import router

__all__ = ["page_router", "router"]
