"""Bulk enrollment throughput: people/s through `portgate enroll import` against a live API.

Run: ``.venv/bin/python bench/bench_enroll.py [--people 30]``. The photos are the shared
test faces (../shared/data/faces) and one LFW dev image per person. The API runs in this
process (uvicorn, SQLite in a temporary folder); the client is the real HTTP client.

Anchor measured in the same run: the face work alone (decode, detect, quality, encode) on
the same photos, in-process, one after the other: the floor an import cannot beat on this
machine. The ratio says how much of the import time is HTTP, the database, encryption
and the 1:N duplicate check on top of it.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import uvicorn
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.sites import create_site, create_zone
from central_api.db import make_engine
from central_api.enroll.faces import analyse_photo, decode_photo
from central_api.migrate import upgrade_database
from central_api.models import Role, SiteCreate, User, ZoneCreate
from central_api.security.auth import create_token, hash_password
from enrollment import EnrollClient, run_import

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def photos(count: int) -> list[Path]:
    faces = [
        DATA / "faces" / n
        for n in ("obama.jpg", "biden.jpg", "alex-lacamoire.png", "lin-manuel-miranda.png")
    ]
    lfw = sorted((DATA / "lfw-dev" / "images").iterdir())
    chosen = [p for p in faces if p.is_file()]
    for person in lfw:
        if len(chosen) >= count:
            break
        images = sorted(person.glob("*.jpg"))
        if images:
            chosen.append(images[0])
    return chosen[:count]


def floor_rate(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        analyse_photo(decode_photo(path.read_bytes()))
    return len(paths) / (time.perf_counter() - start)


def start_api(folder: Path) -> tuple[str, str, uvicorn.Server]:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, PORTGATE_COOKIE_SECURE=False)
    with Session(engine, expire_on_commit=False) as session:
        create_site(
            session=session, site_create=SiteCreate(id="bench", name="bench"), actor="bench"
        )
        create_zone(
            session=session,
            zone_create=ZoneCreate(id="quay", site_id="bench", name="quay"),
            actor="bench",
        )
        user = User(
            username="desk", password_hash=hash_password("bench-password"), role=Role.SECURITY_DESK
        )
        session.add(user)
        session.commit()
        token = create_token(settings=settings, user=user, minutes=60, purpose="access")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine=engine), host="127.0.0.1", port=0, log_level="warning"
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", token, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=30)
    args = parser.parse_args()
    if not (DATA / "faces").is_dir():
        raise SystemExit(f"shared test data not found at {DATA}")
    chosen = photos(args.people)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "photos").mkdir()
        table = folder / "people.csv"
        with table.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["external_id", "display_name", "kind", "photos"])
            for i, path in enumerate(chosen):
                name = f"P{i:05d}{path.suffix}"
                os.symlink(path, folder / "photos" / name)
                writer.writerow([f"P{i:05d}", path.parent.name.replace("_", " "), "staff", name])
        analyse_photo(decode_photo(chosen[0].read_bytes()))  # load the models once
        floor_before = floor_rate(chosen)
        api_url, token, server = start_api(folder)
        try:
            with EnrollClient(api_url=api_url, token=token) as client:
                start = time.perf_counter()
                report = run_import(
                    client=client, csv_file=table, photo_folder=folder / "photos", site_id="bench"
                )
                elapsed = time.perf_counter() - start
                start = time.perf_counter()
                again = run_import(
                    client=client, csv_file=table, photo_folder=folder / "photos", site_id="bench"
                )
                resume = time.perf_counter() - start
        finally:
            server.should_exit = True
        # The machine is shared: the anchor is measured before and after, and averaged.
        floor = (floor_before + floor_rate(chosen)) / 2
    counts = report.counts
    rate = len(chosen) / elapsed
    reasons = Counter(
        reason.split(":")[0][:40]
        for r in report.results
        if r.status != "created"
        for reason in (list(r.photos.values()) or [r.reason or ""])
    )
    print(f"people: {len(chosen)} ({counts}); rejected reasons: {dict(reasons)}")
    print(f"import: {rate:.2f} people/s ({elapsed:.1f} s); face work alone: {floor:.2f} photos/s")
    print(f"ratio import/face-work: {rate / floor:.2f}")
    print(f"re-run (everything skipped): {len(chosen) / resume:.0f} rows/s, {again.counts}")
    print(f"FIGURE bench_enroll|import|{rate:.3f}|people/s|face work alone|{floor:.3f}||")
    print(f"FIGURE bench_enroll|resume (all skipped)|{len(chosen) / resume:.1f}|rows/s|||| ")


if __name__ == "__main__":
    main()
