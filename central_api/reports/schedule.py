"""Scheduled reports: the period just ended (day, ISO week, month) and its files in a folder.

A run writes each report of the period that ended last before `now` (site's zone) as
``NAME_SITE_PERIOD.FORMAT``; a file already there is kept, so running twice (a timer that
fires again, a catch-up after a reboot) writes nothing twice. Each file is written to a
temporary name first and then linked to its name, which fails where a file is already
there: a reader never sees half a file, and two runs at once still write it once.
"""

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from central_api.reports.period import Period, local_midnight

__all__ = ["Every", "last_period", "write_once"]

Every = Literal["daily", "weekly", "monthly"]


def last_period(every: Every, now: datetime, zone: str = "UTC") -> tuple[Period, str]:
    """The period of `every` that ended last before `now`, and its label for file names.

    Days, weeks and months are local ones in `zone` (the site's): a day of a DST switch
    is 23 or 25 hours long.
    """
    today = now.astimezone(ZoneInfo(zone)).date()
    if every == "daily":
        start = today - timedelta(days=1)
        label = f"{start:%Y-%m-%d}"
        end = today
    elif every == "weekly":
        end = today - timedelta(days=today.weekday())  # this week's Monday
        start = end - timedelta(days=7)
        year, week, _ = start.isocalendar()
        label = f"{year}-W{week:02d}"
    else:
        end = today.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
        label = f"{start:%Y-%m}"
    period = Period(start=local_midnight(start, zone), end=local_midnight(end, zone), zone=zone)
    return period, label


def write_once(path: Path, content: bytes) -> bool:
    """Write `content` to `path` unless it exists (True: written), whole or not at all."""
    if path.exists():
        return False
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        Path(temporary).unlink(missing_ok=True)
    return True
