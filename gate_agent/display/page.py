"""The lane page: one HTML document per lane, its texts in every lane language, no data.

The page holds no person: what a lane shows arrives over its event stream. Its script and
style are files of this room served by the agent (`static/`), so the page runs under a
strict Content-Security-Policy with nothing from elsewhere.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from string import Template

from gate_agent.display.catalog import LANE_LOCALE_NAMES, LANE_LOCALES, lane_messages
from gate_agent.display.guidance import LANE_TEXTS

__all__ = ["CSP", "STATIC", "error_page", "lane_page", "static_file"]

STATIC = Path(__file__).resolve().parent / "static"
_FILES = {"lane.js": "text/javascript; charset=utf-8", "lane.css": "text/css; charset=utf-8"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_PAGE = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>PortGate · $lane_label</title>
<link rel="stylesheet" href="/lane/assets/lane.css">
<script type="application/json" id="lane-texts">$texts</script>
<script src="/lane/assets/lane.js" defer></script>
</head>
<body class="idle" data-lane="$lane" data-sound="$sound">
<main aria-live="assertive">
<div class="icon" aria-hidden="true">
<svg class="i-idle" viewBox="0 0 64 64"><rect x="14" y="8" width="36" height="48" rx="5"/>\
<path d="M22 20h20M22 30h20M22 40h12"/></svg>
<svg class="i-look" viewBox="0 0 64 64"><rect x="6" y="18" width="52" height="36" rx="6"/>\
<circle cx="32" cy="36" r="10"/><path d="M22 18l4-8h12l4 8"/></svg>
<svg class="i-granted" viewBox="0 0 64 64"><circle cx="32" cy="32" r="27"/>\
<path d="M19 33l9 9 18-19"/></svg>
<svg class="i-denied" viewBox="0 0 64 64"><circle cx="32" cy="32" r="27"/>\
<path d="M22 22l20 20M42 22l-20 20"/></svg>
</div>
<h1 id="headline">$idle</h1>
<p id="message"></p>
<p id="action"></p>
</main>
<footer>
<span class="lane">$lane_label</span>
<nav id="languages" aria-label="Language">$buttons</nav>
</footer>
</body>
</html>
""")

_ERROR = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PortGate</title>
<link rel="stylesheet" href="/lane/assets/lane.css"></head>
<body class="unavailable"><main><h1>$text</h1></main></body></html>
""")


@cache
def _texts_json() -> str:
    texts = {locale: dict(lane_messages(locale)) for locale in LANE_LOCALES}
    body = json.dumps({"texts": texts, "keys": LANE_TEXTS}, ensure_ascii=False, sort_keys=True)
    # Inside <script>: no "</script>" or "<!--" can end or bend the block.
    return body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def lane_page(lane: int, *, sound: bool) -> str:
    """The page of `lane` (the lane number is the only thing it says about the gate)."""
    buttons = "".join(
        f'<button type="button" lang="{code}" data-lang="{code}">{html.escape(name)}</button>'
        for code, name in LANE_LOCALE_NAMES.items()
    )
    return _PAGE.substitute(
        lane=lane,
        lane_label=f"{lane}",
        sound="1" if sound else "0",
        texts=_texts_json(),
        idle=html.escape(LANE_TEXTS["idle"]),
        buttons=buttons,
    )


def error_page() -> str:
    """The one page for a wrong token and an unknown lane: it says nothing else."""
    return _ERROR.substitute(text=html.escape(LANE_TEXTS["unavailable"]))


@cache
def static_file(name: str) -> tuple[bytes, str] | None:
    """A file of the page (body, content type), or None when there is no such file."""
    content_type = _FILES.get(name)
    if content_type is None:
        return None
    return (STATIC / name).read_bytes(), content_type
