"""50,000 events exported through a real uvicorn arrive complete, in order, in flat memory.

The server runs in this process (testkit's threaded API), so tracemalloc sees its every
allocation. If the export were built in memory, its peak would grow with the CSV; streamed,
the peak of 50,000 rows stays within a small margin of the peak of 10,000.
"""

import tracemalloc
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from central_api.config import Settings
from central_api.models import Role
from testkit.api.event_rows import insert_event_rows
from testkit.api.server import ThreadedApi
from testkit.api.world import seed_world

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# Well below the extra 40,000 rows' CSV (about 9 MB): only a bounded buffer may grow.
MAX_EXTRA_PEAK = 2 * 1024 * 1024


def export(url: str, headers: dict[str, str], expected_rows: int, site: str) -> tuple[int, int]:
    """Read the export line by line (never whole): (peak traced bytes above start, CSV bytes)."""
    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    size = rows = 0
    with httpx.stream("GET", f"{url}/api/v1/events/export.csv", headers=headers, timeout=120) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        assert next(lines).startswith("event_id,occurred_at,")
        for n, line in enumerate(lines):
            assert line.startswith(f"bulk-{site}-{n},"), (n, line[:40])
            size += len(line) + 2
            rows += 1
        _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == expected_rows
    return peak - start, size


def test_a_large_export_is_complete_ordered_and_streamed(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    world = seed_world(engine, settings)
    headers = world.user(Role.OPERATOR)
    insert_event_rows(engine, count=10_000, site=world.site, gate=world.gate, first_at=T0)
    with ThreadedApi(app) as api:
        peak_10k, size_10k = export(api.url, headers, 10_000, world.site)
        insert_event_rows(
            engine, count=40_000, start=10_000, site=world.site, gate=world.gate, first_at=T0
        )
        peak_50k, size_50k = export(api.url, headers, 50_000, world.site)
    figures = f"peak 10k rows {peak_10k} B, 50k rows {peak_50k} B; CSV {size_10k}, {size_50k} B"
    assert size_50k - size_10k > 2 * MAX_EXTRA_PEAK, figures
    assert peak_50k - peak_10k < MAX_EXTRA_PEAK, figures
