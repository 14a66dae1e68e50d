"""Passes on a phone (issue 26.3): the public page and its API, and the desk's new link.

`page` serves ``/m/pass/{pass_id}`` (the same shell for every id: the secret is in the
fragment, which the server never sees); `public` answers the page's script with the
pass's live status for a right link and one generic 404 for any wrong one (rate-limited
per hashed address); `desk` makes the link when a pass is issued and a new one on request
(the old dies). Domain: `central_api.enroll.mobile`; docs/api.md "Passes on a phone".
"""

from central_api.routes.mobile_pass.desk import router as desk_router
from central_api.routes.mobile_pass.page import router as page_router
from central_api.routes.mobile_pass.public import router as public_router

__all__ = ["routers"]

routers = (page_router, public_router, desk_router)
