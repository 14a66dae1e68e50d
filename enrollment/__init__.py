"""Security-desk tools: the enrollment API client, bulk import, pass files.

The printed pass itself is rendered by the central API (PNG and PDF, Pillow and segno), so
that the desk page and `portgate enroll pass issue` print the same card.
"""

from enrollment.bulk_import import ImportReport, RowResult, count_rows, run_import
from enrollment.client import EnrollClient, login
from enrollment.csv_rows import ImportRow, RowProblem, read_rows
from enrollment.errors import ApiError, CsvError, EnrollmentError, NotLoggedInError
from enrollment.pass_files import save_pass_files
from enrollment.session import ClientSession, resolve_session, save_token

__all__ = [
    "ApiError",
    "ClientSession",
    "CsvError",
    "EnrollClient",
    "EnrollmentError",
    "ImportReport",
    "ImportRow",
    "NotLoggedInError",
    "RowProblem",
    "RowResult",
    "count_rows",
    "login",
    "read_rows",
    "resolve_session",
    "run_import",
    "save_pass_files",
    "save_token",
]
