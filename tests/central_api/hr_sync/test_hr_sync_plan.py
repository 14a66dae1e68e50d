"""The HR sync's checks of each entry and its diff (pure: no database, no directory)."""

from central_api.hr_sync.plan import Member, plan_sync
from central_api.hr_sync.sources import Source


def _source(*rows: tuple[str, str, str, str]) -> Source:
    source = Source(label="test")
    for number, (employee, name, email, company) in enumerate(rows, start=2):
        source.add(
            f"line {number}",
            {"employee": employee, "name": name, "email": email, "company": company},
        )
    return source


def _member(employee: str, name: str, company: str | None, *, left: bool = False) -> Member:
    return Member(employee, f"P-{employee}", name, f"{employee}@acme.test", company, left)


def test_entries_without_a_required_attribute_are_skipped_with_the_reason() -> None:
    source = _source(
        ("E1", "Ann Lee", "E1@acme.test", "Acme"),
        ("E2", "Ben Ode", "", "Acme"),
        ("", "Cat Poe", "c@acme.test", "Acme"),
        ("E4", "Dan Ray", "not-an-address", ""),
        ("E1", "Ann Again", "a2@acme.test", "Acme"),
        ("E 6", "Eve Sun", "e@acme.test", "Acme"),
    )
    assert [entry.employee for entry in source.entries] == ["E1"]
    assert [(s.where, s.reason.split(":")[0], s.employee) for s in source.skipped] == [
        ("line 3", "no email", "E2"),
        ("line 4", "no employee", None),
        ("line 5", "email", "E4"),
        ("line 6", "employee number E1 twice", "E1"),
        ("line 7", "employee", "E 6"),
    ]


def test_joins_changes_leavers_and_comebacks() -> None:
    members = [
        _member("E1", "Ann Lee", "Acme"),
        _member("E2", "Ben Ode", "Acme"),
        _member("E3", "Cat Poe", "Acme"),
        _member("E5", "Fay Lin", "Acme", left=True),
    ]
    source = _source(
        ("E1", "Ann Lee", "E1@acme.test", "Acme"),  # unchanged
        ("E2", "Ben Ode", "E2@acme.test", "Globex"),  # changes company
        ("E4", "Dan Ray", "d@acme.test", ""),  # joins, no company
        ("E5", "Fay Lin", "E5@acme.test", "Acme"),  # comes back
    )
    plan = plan_sync(members, source)
    assert [entry.employee for entry in plan.joins] == ["E4"]
    assert [(c.member.employee, c.fields, c.rejoins) for c in plan.changes] == [
        ("E2", {"company": ("Acme", "Globex")}, False),
        ("E5", {}, True),
    ]
    assert [m.employee for m in plan.leavers] == ["E3"]
    assert plan.lines() == [
        "+ E4 Dan Ray <d@acme.test> (no company)",
        "~ E2 Ben Ode: company Acme -> Globex",
        "~ E5 Fay Lin: comes back",
        "- E3 Cat Poe: left, revoked today",
    ]


def test_a_skipped_entry_does_not_make_its_person_a_leaver() -> None:
    members = [_member("E1", "Ann Lee", "Acme"), _member("E2", "Ben Ode", "Acme")]
    source = _source(("E1", "Ann Lee", "E1@acme.test", "Acme"), ("E2", "Ben Ode", "", "Acme"))
    plan = plan_sync(members, source)
    assert plan.leavers == []
    assert plan.is_empty
    assert plan.lines() == ["! line 3: no email, skipped"]
