"""Reports: access, alarms, companies and overrides over a period, as CSV, XLSX or PDF.

Owns the period and shift rules (`period`), the plain result every report computes
(`model`: tables of rows, which table is charted, the cover's facts), one module per
report counting with SQL aggregates over the stored rows (`access`, `alarms`,
`companies`, `overrides`), the one entry that builds a report by name (`build`), the
renderers, each pure from the result (`csv_out`, `xlsx_out`, `pdf_out`), and the
scheduled runs that write the period just ended's files into a folder (`schedule`).

A site's report counts that site's rows through the site scope
(`central_api.security.site_scope`), the same filter a site-bound user's requests get;
a report without a site counts every site (the port authority's). docs/reports.md.
"""
