"""CSV that a spreadsheet opens as text: cells that could start a formula are defused.

Spreadsheets run a cell starting with ``= + - @`` (and a leading tab or carriage return can
hide one), so such cells get a leading ``'`` (OWASP's CSV injection advice).
"""

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["FORMULA_STARTS", "escape_cell", "render_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> str:
    """The cell text, prefixed with ``'`` when a spreadsheet would treat it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render_csv(rows: Iterable[Sequence[object]]) -> str:
    """Every cell escaped, RFC 4180 quoting, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return buffer.getvalue()
