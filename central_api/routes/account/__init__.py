"""A user's own account (`/account` page, `/api/v1/account/...`): password, reset, sessions.

`router` carries them all. The password rules live in `central_api.security.password_policy`.
"""

from fastapi import APIRouter

from central_api.routes.account import page, password, reset, sessions

__all__ = ["router"]

router = APIRouter()
for _module in (password, reset, sessions, page):
    router.include_router(_module.router)
