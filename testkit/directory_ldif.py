"""The company directory the LDAP tests load into `testkit.slapd`: people, groups, changes.

`base_ldif` writes the organisation, the people and groups units, each person (uid,
password, e-mail, employee number, company as ``o``) and the groups with their members;
tests change it afterwards over LDAP as the root DN (join, change company, leave).
"""

from __future__ import annotations

from dataclasses import dataclass

from ldap3 import MODIFY_REPLACE, Connection, Server

from testkit.slapd import BASE_DN

__all__ = ["DirectoryAdmin", "DirectoryPerson", "base_ldif", "person_dn", "person_entry"]


@dataclass(frozen=True, slots=True)
class DirectoryPerson:
    """One person of the test directory; `mail` or `employee` None: the attribute is absent."""

    uid: str
    password: str
    name: str
    company: str
    employee: str | None
    mail: str | None


def person_dn(uid: str) -> str:
    """The DN of a person of the test directory."""
    return f"uid={uid},ou=people,{BASE_DN}"


def person_entry(person: DirectoryPerson) -> dict[str, list[str]]:
    """The person's attributes as LDAP holds them."""
    surname = person.name.split()[-1]
    attrs = {
        "objectClass": ["inetOrgPerson"],
        "uid": [person.uid],
        "cn": [person.name],
        "sn": [surname],
        "o": [person.company],
        "userPassword": [person.password],
    }
    if person.employee is not None:
        attrs["employeeNumber"] = [person.employee]
    if person.mail is not None:
        attrs["mail"] = [person.mail]
    return attrs


def _block(dn: str, attrs: dict[str, list[str]]) -> str:
    lines = [f"dn: {dn}"] + [f"{key}: {value}" for key, values in attrs.items() for value in values]
    return "\n".join(lines) + "\n"


def base_ldif(people: list[DirectoryPerson], groups: dict[str, list[str]]) -> str:
    """The LDIF of the organisation, `people` and `groups` (group cn -> member uids)."""
    blocks = [
        _block(
            BASE_DN,
            {
                "objectClass": ["dcObject", "organization"],
                "dc": ["portgate"],
                "o": ["PortGate test"],
            },
        ),
        _block(f"ou=people,{BASE_DN}", {"objectClass": ["organizationalUnit"], "ou": ["people"]}),
        _block(f"ou=groups,{BASE_DN}", {"objectClass": ["organizationalUnit"], "ou": ["groups"]}),
    ]
    blocks += [_block(person_dn(person.uid), person_entry(person)) for person in people]
    for cn, members in groups.items():
        blocks.append(
            _block(
                f"cn={cn},ou=groups,{BASE_DN}",
                {
                    "objectClass": ["groupOfNames"],
                    "cn": [cn],
                    "member": [person_dn(uid) for uid in members],
                },
            )
        )
    return "\n".join(blocks)


class DirectoryAdmin:
    """Changes to a running test directory, as its root DN (people join, move and leave)."""

    def __init__(self, url: str, admin_dn: str, admin_password: str) -> None:
        self._conn = Connection(Server(url), user=admin_dn, password=admin_password)
        if not self._conn.bind():
            raise RuntimeError(f"cannot bind as {admin_dn}: {self._conn.result}")

    def _check(self, done: bool, what: str) -> None:
        if not done:
            raise RuntimeError(f"{what} failed: {self._conn.result}")

    def add_person(self, person: DirectoryPerson) -> None:
        """A person joins."""
        self._check(self._conn.add(person_dn(person.uid), attributes=person_entry(person)), "add")  # type: ignore[no-untyped-call]

    def set_attribute(self, uid: str, name: str, value: str) -> None:
        """Replace one attribute of a person (their company: ``o``)."""
        changes = {name: [(MODIFY_REPLACE, [value])]}
        self._check(self._conn.modify(person_dn(uid), changes), "modify")  # type: ignore[no-untyped-call]

    def remove_person(self, uid: str) -> None:
        """A person leaves."""
        self._check(self._conn.delete(person_dn(uid)), "delete")  # type: ignore[no-untyped-call]

    def set_members(self, group_cn: str, uids: list[str]) -> None:
        """Replace a group's members."""
        changes = {"member": [(MODIFY_REPLACE, [person_dn(uid) for uid in uids])]}
        dn = f"cn={group_cn},ou=groups,{BASE_DN}"
        self._check(self._conn.modify(dn, changes), "modify")  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Unbind."""
        self._conn.unbind()
