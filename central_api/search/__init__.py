"""Event and alarm search: the filters an operator sets, the keyset cursor, pages, CSV export.

`filters` turns what a caller sent (query strings, CLI options) into checked filters, or
one `InvalidError` naming what is wrong; `cursor` is the opaque keyset position
(``occurred_at``/``raised_at`` and ``id`` of a page's last row, never OFFSET, so rows
stored while someone pages neither repeat nor go missing); `events` and `alarms` build
the statements and read pages; `export` streams every matching event as CSV rows over a
server-side cursor (``yield_per``), in constant memory and without a row cap. The site
scope of the caller's session (`central_api.security.site_scope`) applies to every read.
"""
