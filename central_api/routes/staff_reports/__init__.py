"""Staff reports' routes: the public phone page and API (no login), triage, the dashboard page.

`routers` is what the app includes; docs/staff-reports.md says what each stores.
"""

from fastapi import APIRouter

from central_api.routes.staff_reports import pages, public, triage

__all__ = ["routers"]

routers: tuple[APIRouter, ...] = (public.router, triage.router, pages.router)
