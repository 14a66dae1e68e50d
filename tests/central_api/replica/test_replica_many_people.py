"""A gate that keeps more people than a statement may bind parameters still gets its replica.

The main terminal's gates keep every identity of the port (100,000): the replica's queries
over such id lists failed on PostgreSQL (65,535 parameters at most; SQLite builds with the
default limit, 32,766) until the lists were written as literals
(central_api/replica/id_lists.py). Checked on both databases with 70,000 ids, of which the
seeded ones are found and nothing else is touched, a quote in an id included.
"""

import secrets

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from central_api.models import Person
from central_api.replica.records import load_person_records, load_site_windows
from testkit.faults.seed import seed_fleet

MANY = 70_000  # over both databases' limits on bound parameters
HOSTILE = "x'); DELETE FROM person; --"


def test_person_records_and_windows_load_for_more_ids_than_parameters(engine: Engine) -> None:
    seed_fleet(engine=engine, site="rtm", gates=1, people=3, seal_key=secrets.token_bytes(32))
    with Session(engine) as session:
        real = sorted(session.exec(select(Person.id)).all())
        asked = [f"nobody-{n}" for n in range(MANY)] + [HOSTILE, *real]
        records = load_person_records(session=session, person_ids=asked)
        windows = load_site_windows(session=session, person_ids=asked, site_id="rtm")
        assert sorted(records) == real
        assert sorted(windows) == real
        assert all(set(w) == {"rtm"} for w in windows.values())
        # The hostile id was a value, not SQL: every person is still there.
        assert session.exec(select(func.count()).select_from(Person)).one() == 3
