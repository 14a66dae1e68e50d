"""A user's own account (`/account` page, `/api/v1/account/...`): password, reset, sessions.

TOTP: its setup and an admin's reset (`totp`), and the second step of a login
(`second_factor`; `login_finish` ends a login the same way for either step).

`router` carries them all. The password rules live in `central_api.security.password_policy`.
"""

from fastapi import APIRouter

from central_api.routes.account import page, password, reset, second_factor, sessions, totp

__all__ = ["router"]

router = APIRouter()
for _module in (password, reset, sessions, page, totp, second_factor):
    router.include_router(_module.router)
