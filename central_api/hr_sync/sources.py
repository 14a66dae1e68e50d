"""Where HR's people come from: a CSV export or the company directory, checked entry by entry.

Every source gives the same `Source`: the entries that passed the checks and the ones
skipped with the reason (no e-mail, no employee number, a duplicate number, ...), so
that one bad entry is reported and skipped and loses nothing else.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from gate_protocol.ids import Id
from ldap3 import SUBTREE
from ldap3.core.exceptions import LDAPException
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from central_api.models.common import NameStr
from central_api.security.directory import (
    DirectoryUnavailable,
    directory_settings,
    open_connection,
)

__all__ = [
    "CSV_COLUMNS",
    "HrDirectorySettings",
    "HrEntry",
    "HrSourceError",
    "Skipped",
    "Source",
    "read_csv",
    "read_directory",
]

CSV_COLUMNS = ("employee_number", "name", "email", "company")
_FIELDS = ("employee", "name", "email", "company")
_MAX_FILE_BYTES = 50 * 1024 * 1024
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


class HrSourceError(ValueError):
    """The source as a whole cannot be read (no such file, a missing column, no directory)."""


class HrEntry(BaseModel):
    """One person as HR describes them; `employee` is the key (the person's external id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    employee: Id
    name: NameStr
    email: Email
    company: NameStr | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry that was not used: where it is (line or DN), why, and its number if any."""

    where: str
    reason: str
    employee: str | None = None


@dataclass(slots=True)
class Source:
    """What a source gave: its label, the good entries and the skipped ones."""

    label: str
    entries: list[HrEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, where: str, raw: dict[str, str | None]) -> None:
        """Check one raw entry; keep it, or record why it is skipped."""
        values = {key: (value or "").strip() or None for key, value in raw.items()}
        missing = [name for name in ("employee", "name", "email") if values.get(name) is None]
        employee = values.get("employee")
        if missing:
            self.skipped.append(Skipped(where, f"no {' and no '.join(missing)}", employee))
            return
        try:
            entry = HrEntry.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            reason = f"{first['loc'][0]}: {first['msg']}"
            self.skipped.append(Skipped(where, reason, employee))
            return
        if any(known.employee == entry.employee for known in self.entries):
            reason = f"employee number {entry.employee} twice"
            self.skipped.append(Skipped(where, reason, entry.employee))
            return
        self.entries.append(entry)


def read_csv(path: Path) -> Source:
    """The people of an HR CSV export (header: employee_number,name,email,company).

    Raises:
        HrSourceError: The file cannot be read, is too large or lacks a column.
    """
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise HrSourceError(f"{path}: larger than {_MAX_FILE_BYTES // 2**20} MiB")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise HrSourceError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    reader = csv.DictReader(text.splitlines())
    absent = [name for name in CSV_COLUMNS if name not in (reader.fieldnames or [])]
    if absent:
        raise HrSourceError(f"{path}: no column {', '.join(absent)} (need {','.join(CSV_COLUMNS)})")
    source = Source(label=f"file:{path.name}")
    for row in reader:
        raw = {key: row.get(column) for key, column in zip(_FIELDS, CSV_COLUMNS, strict=True)}
        source.add(f"line {reader.line_num}", raw)
    return source


class HrDirectorySettings(BaseSettings):
    """Where the HR sync finds the people in the directory (environment variables)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    people_base: str = Field(
        default="ou=people,dc=example,dc=org", validation_alias="PORTGATE_LDAP_PEOPLE_BASE"
    )
    people_filter: str = Field(
        default="(objectClass=inetOrgPerson)", validation_alias="PORTGATE_LDAP_PEOPLE_FILTER"
    )
    attributes: str = Field(
        default="employee=employeeNumber;name=cn;email=mail;company=o",
        validation_alias="PORTGATE_LDAP_HR_ATTRIBUTES",
        description="Which directory attribute holds each field (AD: company=company).",
    )

    def attribute_map(self) -> dict[str, str]:
        """Field -> attribute name.

        Raises:
            HrSourceError: The mapping is malformed or lacks a field.
        """
        pairs = [part.split("=", 1) for part in self.attributes.split(";") if part.strip()]
        mapping = {key.strip(): value.strip() for key, value in (p for p in pairs if len(p) == 2)}
        if set(mapping) != set(_FIELDS) or not all(mapping.values()):
            raise HrSourceError(
                f"PORTGATE_LDAP_HR_ATTRIBUTES must map {', '.join(_FIELDS)} to attributes"
            )
        return mapping


def read_directory() -> Source:
    """The people of the directory, read as the service account (PORTGATE_LDAP_BIND_DN).

    Raises:
        HrSourceError: No directory or service account configured, or the bind failed.
        DirectoryUnavailable: The directory cannot be reached.
    """
    settings = directory_settings()
    try:
        hr = HrDirectorySettings()
    except ValidationError as exc:
        raise HrSourceError(str(exc.errors()[0]["msg"])) from None
    if not settings.url or not settings.bind_dn or settings.bind_password is None:
        raise HrSourceError(
            "--ldap needs PORTGATE_LDAP_URL, PORTGATE_LDAP_BIND_DN and PORTGATE_LDAP_BIND_PASSWORD"
        )
    mapping = hr.attribute_map()
    password = settings.bind_password.get_secret_value()
    conn = open_connection(settings, user=settings.bind_dn, password=password)
    if conn is None:
        raise HrSourceError(f"the directory refused the service account {settings.bind_dn}")
    source = Source(label=f"ldap:{hr.people_base}")
    try:
        found = conn.extend.standard.paged_search(
            hr.people_base,
            hr.people_filter,
            search_scope=SUBTREE,
            attributes=list(mapping.values()),
            paged_size=500,
            generator=False,
        )
    except LDAPException as exc:
        raise DirectoryUnavailable(f"directory search failed: {type(exc).__name__}") from None
    finally:
        conn.unbind()
    for item in sorted(found, key=lambda entry: str(entry.get("dn", ""))):
        if item.get("type") != "searchResEntry":
            continue
        attrs = item["attributes"]
        raw = {key: _first(attrs.get(name)) for key, name in mapping.items()}
        source.add(str(item["dn"]), raw)
    return source


def _first(value: object) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)
