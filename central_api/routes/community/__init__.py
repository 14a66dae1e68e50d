"""The routes of sharing between installations: the catch-up feed, figures, sharing a ban."""

from central_api.routes.community.routes import router

__all__ = ["router"]
