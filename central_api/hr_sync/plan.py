"""The diff between what HR lists and whom the sync manages at a site (pure, no I/O).

A dry run prints it; ``--apply`` applies exactly it. Joiners are listed employees the sync
does not manage yet; changes are managed people whose name, e-mail or company differ, or
who left and are listed again (they come back); leavers are managed people HR no longer
lists. The same source planned again after applying gives an empty plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from central_api.hr_sync.sources import HrEntry, Skipped, Source

__all__ = ["Change", "Member", "SyncPlan", "plan_sync"]


@dataclass(frozen=True, slots=True)
class Member:
    """A person the sync manages, as it last wrote them."""

    employee: str
    person_id: str
    name: str
    email: str
    company: str | None
    left: bool


@dataclass(frozen=True, slots=True)
class Change:
    """A managed person HR describes differently: the fields as (old, new); `rejoins`."""

    member: Member
    entry: HrEntry
    fields: dict[str, tuple[str | None, str | None]]
    rejoins: bool


@dataclass(slots=True)
class SyncPlan:
    """Joiners, changes, leavers and skipped entries of one source at one site."""

    joins: list[HrEntry] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    leavers: list[Member] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Whether applying it would change nothing."""
        return not (self.joins or self.changes or self.leavers)

    def lines(self) -> list[str]:
        """The diff, one line each: ``+`` joins, ``~`` changes, ``-`` leaves, ``!`` skipped."""
        out = [
            f"+ {e.employee} {e.name} <{e.email}> ({e.company or 'no company'})" for e in self.joins
        ]
        for change in self.changes:
            moved = ", ".join(
                f"{key} {old or '-'} -> {new or '-'}" for key, (old, new) in change.fields.items()
            )
            note = "comes back" + (f"; {moved}" if moved else "") if change.rejoins else moved
            out.append(f"~ {change.member.employee} {change.entry.name}: {note}")
        out += [f"- {m.employee} {m.name}: left, revoked today" for m in self.leavers]
        out += [f"! {s.where}: {s.reason}, skipped" for s in self.skipped]
        return out

    def summary(self) -> str:
        """One line of counts."""
        return (
            f"{len(self.joins)} joining, {len(self.changes)} changed, {len(self.leavers)} leaving, "
            f"{len(self.skipped)} skipped"
        )


def plan_sync(members: list[Member], source: Source) -> SyncPlan:
    """What applying `source` to the managed `members` of one site would do."""
    plan = SyncPlan(skipped=list(source.skipped))
    by_employee = {member.employee: member for member in members}
    listed = set()
    for entry in source.entries:
        listed.add(entry.employee)
        member = by_employee.get(entry.employee)
        if member is None:
            plan.joins.append(entry)
            continue
        fields = _differences(member, entry)
        if fields or member.left:
            plan.changes.append(Change(member, entry, fields, rejoins=member.left))
    # A skipped entry is still listed: a person is not revoked because HR's row is faulty.
    listed |= _skipped_employees(source)
    plan.leavers = [m for m in members if not m.left and m.employee not in listed]
    return plan


def _differences(member: Member, entry: HrEntry) -> dict[str, tuple[str | None, str | None]]:
    pairs = {
        "name": (member.name, entry.name),
        "email": (member.email, entry.email),
        "company": (member.company, entry.company),
    }
    return {key: pair for key, pair in pairs.items() if pair[0] != pair[1]}


def _skipped_employees(source: Source) -> set[str]:
    return {s.employee for s in source.skipped if s.employee}
