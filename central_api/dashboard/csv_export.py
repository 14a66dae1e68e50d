"""CSV that a spreadsheet opens as text: cells that could start a formula are defused.

Spreadsheets run a cell starting with ``= + - @`` (and a leading tab or carriage return can
hide one), so such cells get a leading ``'`` (OWASP's CSV injection advice).
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["FORMULA_STARTS", "csv_chunks", "escape_cell", "render_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> str:
    """The cell text, prefixed with ``'`` when a spreadsheet would treat it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render_csv(rows: Iterable[Sequence[object]]) -> str:
    """Every cell escaped, RFC 4180 quoting, CRLF line ends."""
    return "".join(csv_chunks(rows))


def csv_chunks(rows: Iterable[Sequence[object]], *, rows_per_chunk: int = 1000) -> Iterator[str]:
    """`render_csv` in pieces of `rows_per_chunk` rows, for a response of any size.

    Only one piece is held at a time, so an export streamed from a database cursor keeps
    its memory whatever the number of rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    pending = 0
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()
