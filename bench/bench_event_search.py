"""Event search figures: a page of the common filters, with and without migration 0026's indexes.

usage: .venv/bin/python bench/bench_event_search.py [--events N] [--postgres] [--repeats R]

N events (default 50,000) over 30 gates, 3 sites and the reason codes (85% granted), one
every 20 s, go into a fresh SQLite file (or, with --postgres, a throwaway PostgreSQL
cluster: testkit/postgres.py). For each common filter the median time of its first page
(100 rows, `central_api.search.events.search_events`) is measured with the indexes of 0026,
then again after they are dropped: the baseline of the same run, same data. Last, the
rows per second of the streamed CSV export of every event (`stream_events_csv`), against
the rows per second of reading the same columns alone (the database and driver's share).
Prints ``FIGURE`` lines for bench/runner.py.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, text
from sqlmodel import Session, select

from central_api.db import make_engine
from central_api.migrate import upgrade_database
from central_api.models import AccessEventRecord
from central_api.search.events import EXPORT_COLUMNS, search_events
from central_api.search.export import stream_events_csv
from central_api.search.filters import EventFilters, event_filters
from gate_protocol.reasons import ReasonCode
from testkit.api.event_rows import event_row
from testkit.postgres import start_postgres, stop_postgres

T0 = datetime(2026, 1, 1, tzinfo=UTC)
INDEXES = ("ix_access_event_time_id", "ix_access_event_reason_time")
WEEK = {"since": "2026-01-15T00:00:00Z", "until": "2026-01-22T00:00:00Z"}
CASES = {
    "time range + gate": {**WEEK, "gate": "g7"},
    "time range + reason": {**WEEK, "reason": "face_mismatch"},
    "time range": WEEK,
    "first page": {},
}


def seed(engine: Engine, count: int) -> None:
    rnd = random.Random(1)
    reasons = list(ReasonCode)
    with engine.begin() as conn:
        batch = []
        for n in range(count):
            reason = ReasonCode.GRANTED if rnd.random() < 0.85 else rnd.choice(reasons)
            decision = "granted" if reason is ReasonCode.GRANTED else "denied"
            at = T0 + timedelta(seconds=20 * n)
            gate = f"g{rnd.randrange(30)}"
            batch.append(
                event_row(n, site=f"s{n % 3}", gate=gate, at=at, reason=reason, decision=decision)
            )
            if len(batch) == 10_000:
                conn.execute(insert(AccessEventRecord), batch)
                batch = []
        if batch:
            conn.execute(insert(AccessEventRecord), batch)
        conn.execute(text("ANALYZE"))


def median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def page_times(engine: Engine, repeats: int) -> dict[str, float]:
    found = {}
    for name, texts in CASES.items():
        filters = event_filters(**texts)
        with Session(engine) as session:

            def page(f: EventFilters = filters, s: Session = session) -> object:
                return search_events(session=s, filters=f, size=100)

            page()  # warm the caches
            found[name] = median_ms(page, repeats)
    return found


def export_rates(engine: Engine) -> tuple[float, float]:
    started = time.perf_counter()
    chunks = sum(
        1 for _ in stream_events_csv(engine=engine, filters=EventFilters(), site_scope=None)
    )
    export_s = time.perf_counter() - started
    columns = [getattr(AccessEventRecord, name) for name in EXPORT_COLUMNS]
    started = time.perf_counter()
    with Session(engine) as session:
        result = session.execute(select(*columns).execution_options(yield_per=1000))
        rows = sum(1 for _ in result)
    read_s = time.perf_counter() - started
    assert chunks > 0  # noqa: S101 (a bench's sanity check)
    return rows / export_s, rows / read_s


def run(engine: Engine, count: int, repeats: int) -> None:
    seed(engine, count)
    with_indexes = page_times(engine, repeats)
    export_rate, read_rate = export_rates(engine)
    with engine.begin() as conn:
        for name in INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text("ANALYZE"))
    without = page_times(engine, repeats)
    for name, value in with_indexes.items():
        anchor = without[name]
        print(
            f"FIGURE bench_event_search|page of 100, {name}|{value:.3g}|ms|"
            f"without 0026 indexes|{anchor:.3g}|<= baseline|{'yes' if value <= anchor else 'no'}"
        )
    print(
        f"FIGURE bench_event_search|CSV export of {count} events|{export_rate:.0f}|rows/s|"
        f"reading the columns alone|{read_rate:.0f}||"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if not args.postgres:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'events.db'}"
            upgrade_database(url)
            run(make_engine(url), args.events, args.repeats)
        return
    server = start_postgres()
    try:
        url = server.create_database("bench_event_search")
        upgrade_database(url)
        engine = make_engine(url)
        run(engine, args.events, args.repeats)
        engine.dispose()
    finally:
        stop_postgres(server)


if __name__ == "__main__":
    main()
