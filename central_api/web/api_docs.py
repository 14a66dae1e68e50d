"""The interactive API docs (Swagger UI), served by the API itself, no CDN.

A port's network is often air-gapped, and a docs page that pulls scripts from a CDN is a
supply-chain door besides. Swagger UI 5's files come from the ``fastapi-swagger`` wheel
(MIT; only its files are used); the page's one inline start-up script is allowed by its
hash, so the page's Content-Security-Policy names no other origin and no ``'unsafe-inline'``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_ASSETS", "DOCS_PATH", "docs_csp", "install_api_docs"]

DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets"
_SWAGGER_FILES = resources.files("fastapi_swagger") / "resources"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_csp(html: str) -> str:
    """The docs page's policy: its own origin, plus each inline script by its SHA-256."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def install_api_docs(app: FastAPI, *, openapi_url: str) -> None:
    """Serve Swagger UI at :data:`DOCS_PATH` from the wheel's files, under a strict policy."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(_SWAGGER_FILES)), name="docs-assets")
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} - API docs",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
    )
    html = bytes(page.body).decode()
    policy = docs_csp(html)

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})
