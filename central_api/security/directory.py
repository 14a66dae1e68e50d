"""Log in against the company directory (LDAP / Active Directory) beside the local users.

A name and password that match no local account are tried on the directory when
``PORTGATE_LDAP_URL`` is set: a simple bind as the user (``PORTGATE_LDAP_USER_DN``, e.g.
``uid={username},ou=people,dc=example,dc=org`` or ``{username}@corp.example`` for AD), then
the user's groups under ``PORTGATE_LDAP_GROUP_BASE`` map to a PortGate role by
``PORTGATE_LDAP_GROUP_ROLES`` (``role[@site]=group cn``, ``;``-separated, first match wins).
A bound user gets (or keeps) a local row without a usable password, so tokens, logout and
the session epoch work as for local users; the row's role and site follow the directory at
every login (audited when they change). A local account always wins over a directory one
of the same name: the directory cannot take over the local admin.

A directory that cannot be reached is `DirectoryUnavailable` (HTTP 503): the local
accounts still log in.
"""

from __future__ import annotations

import logging
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from gate_protocol.ids import is_account_name, is_id
from ldap3 import NONE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlmodel import Session, col, func, select

from central_api.audit.chain import append_audit
from central_api.errors import ServiceError
from central_api.models import Role, Site, User

__all__ = [
    "DIRECTORY_PASSWORD_MARK",
    "DirectorySettings",
    "DirectoryUnavailable",
    "GroupRole",
    "directory_login",
    "check_directory_settings",
    "directory_settings",
    "open_connection",
    "parse_group_roles",
]

log = logging.getLogger(__name__)

# Not an argon2 hash: a directory user's row can never pass a local password check.
DIRECTORY_PASSWORD_MARK = "!directory"  # noqa: S105 (a marker, not a password)
_INVALID_CREDENTIALS = 49
# The site part is checked with the one id rule (gate_protocol.ids.is_id) after the match.
_GROUP_ROLE = re.compile(r"^(?P<role>[a-z_]+)(?:@(?P<site>[^=@]+))?=(?P<cn>.+)$")


class DirectoryUnavailable(ServiceError):  # noqa: N818 (reads as the HTTP status it is)
    """The directory cannot be reached or is misconfigured; local accounts still work."""

    status_code = 503


class DirectorySettings(BaseSettings):
    """Where the directory is and how its groups map to roles (environment variables)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    url: str | None = Field(
        default=None,
        validation_alias="PORTGATE_LDAP_URL",
        description="ldap://host:389 or ldaps://host:636; unset: no directory login.",
    )
    user_dn: str = Field(
        default="uid={username},ou=people,dc=example,dc=org",
        validation_alias="PORTGATE_LDAP_USER_DN",
        description="The DN (or AD user principal) a user binds as; {username} is escaped.",
    )
    group_base: str = Field(
        default="ou=groups,dc=example,dc=org",
        validation_alias="PORTGATE_LDAP_GROUP_BASE",
        description="Where the groups are (member, uniqueMember or memberUid).",
    )
    group_roles: str = Field(
        default="",
        validation_alias="PORTGATE_LDAP_GROUP_ROLES",
        description="role[@site]=group cn;... e.g. admin=pg-admins;operator@T1=pg-ops.",
    )
    ca_file: Path | None = Field(
        default=None,
        validation_alias="PORTGATE_LDAP_CA_FILE",
        description="ldaps:// only: the CA of the directory's certificate (unset: system CAs).",
    )
    # Whole seconds: ldap3 packs the receive timeout into a socket option as an integer.
    timeout_s: Annotated[int, Field(ge=1, le=60)] = Field(
        default=5, validation_alias="PORTGATE_LDAP_TIMEOUT_S"
    )
    bind_dn: str | None = Field(
        default=None,
        validation_alias="PORTGATE_LDAP_BIND_DN",
        description="HR sync only: the service account that reads the people.",
    )
    bind_password: SecretStr | None = Field(
        default=None, validation_alias="PORTGATE_LDAP_BIND_PASSWORD"
    )


@dataclass(frozen=True, slots=True)
class GroupRole:
    """One mapping: members of the group `cn` get `role` (at `site_id`; None: site-wide)."""

    role: Role
    site_id: str | None
    cn: str


def directory_settings() -> DirectorySettings:
    """The directory settings from the environment.

    Raises:
        DirectoryUnavailable: A setting is malformed (named, with the reason).
    """
    try:
        return DirectorySettings()
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise DirectoryUnavailable(f"{first['loc'][0]}: {first['msg']}") from None


def check_directory_settings() -> None:
    """Refuse, at start, directory settings that every login would trip over.

    Raises:
        DirectoryUnavailable: A malformed setting or role mapping (named).
    """
    settings = directory_settings()
    if settings.url:
        if not settings.url.startswith(("ldap://", "ldaps://")):
            raise DirectoryUnavailable("PORTGATE_LDAP_URL must start with ldap:// or ldaps://")
        parse_group_roles(settings.group_roles)


def parse_group_roles(text: str) -> list[GroupRole]:
    """The mappings of ``PORTGATE_LDAP_GROUP_ROLES``, in order.

    Raises:
        DirectoryUnavailable: A mapping is malformed or names no PortGate role.
    """
    mappings: list[GroupRole] = []
    for part in filter(None, (item.strip() for item in text.split(";"))):
        match = _GROUP_ROLE.match(part)
        bad_site = match is not None and match["site"] is not None and not is_id(match["site"])
        if match is None or bad_site or match["role"] not in {str(role) for role in Role}:
            raise DirectoryUnavailable(
                f"PORTGATE_LDAP_GROUP_ROLES: {part!r} is not role[@site]=group "
                f"(roles: {', '.join(str(role) for role in Role)})"
            )
        role, site = Role(match["role"]), match["site"]
        # The rule local users follow (crud.users.check_user_site): operators and desks
        # belong to a site, the port authority to none.
        if (role in (Role.OPERATOR, Role.SECURITY_DESK)) != (site is not None) and (
            role is not Role.ADMIN
        ):
            what = "needs a site: role@site=group" if site is None else "has no site"
            raise DirectoryUnavailable(f"PORTGATE_LDAP_GROUP_ROLES: {part!r}: {role} {what}")
        mappings.append(GroupRole(role, site, match["cn"].strip()))
    return mappings


def open_connection(settings: DirectorySettings, *, user: str, password: str) -> Connection | None:
    """A connection bound as `user`; None: wrong name or password.

    Raises:
        DirectoryUnavailable: The directory is not configured or cannot be reached.
    """
    if not settings.url:
        raise DirectoryUnavailable("no directory configured (PORTGATE_LDAP_URL)")
    tls = None
    if settings.url.startswith("ldaps://"):
        ca = str(settings.ca_file) if settings.ca_file else None
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca)
    server = Server(settings.url, get_info=NONE, tls=tls, connect_timeout=settings.timeout_s)
    conn = Connection(
        server, user=user, password=password, receive_timeout=settings.timeout_s, read_only=True
    )
    try:
        if conn.bind():
            return conn
    except LDAPException as exc:
        log.warning("directory %s unreachable: %s", settings.url, type(exc).__name__)
        raise DirectoryUnavailable(
            "the company directory cannot be reached: try again later, or use a local account"
        ) from None
    if conn.result.get("result") == _INVALID_CREDENTIALS:
        return None
    raise DirectoryUnavailable(
        f"the company directory refused the bind: {conn.result['description']}"
    )


def _groups_of(conn: Connection, settings: DirectorySettings, dn: str, username: str) -> set[str]:
    query = (
        f"(|(member={escape_filter_chars(dn)})(uniqueMember={escape_filter_chars(dn)})"
        f"(memberUid={escape_filter_chars(username)})"
        f"(memberUid={escape_filter_chars(username.lower())}))"
    )
    try:
        conn.search(settings.group_base, query, attributes=["cn"])
    except LDAPException as exc:
        raise DirectoryUnavailable(f"directory group search failed: {type(exc).__name__}") from None
    return {str(value) for entry in conn.entries for value in entry.cn.values}


def directory_login(*, session: Session, username: str, password: str) -> User | None:
    """The user's local row after a successful directory bind; None: not a directory login.

    None when no directory is configured, the name is a local account's or no account
    name, the password is empty (an unauthenticated bind would "succeed"), the bind fails,
    or the user is in no mapped group.

    Raises:
        DirectoryUnavailable: The directory is configured but cannot be reached.
    """
    settings = directory_settings()
    if not settings.url or not password or not is_account_name(username):
        return None
    # Directories match uids without case, so "Admin-User" binds as "admin-user": the local
    # row is looked up and kept in lower case, or a capital letter would open a second
    # account beside a disabled one, or beside a local account of the same name.
    same_name = session.exec(
        select(User).where(func.lower(col(User.username)) == username.lower())
    ).all()
    if any(user.password_hash != DIRECTORY_PASSWORD_MARK for user in same_name):
        return None  # a local account: the directory may not log in as it
    existing = same_name[0] if same_name else None
    if existing is not None and not existing.active:
        return None  # disabled here by an admin: the directory does not bring it back
    mappings = parse_group_roles(settings.group_roles)
    dn = settings.user_dn.replace("{username}", escape_rdn(username))
    conn = open_connection(settings, user=dn, password=password)
    if conn is None:
        return None
    try:
        groups = _groups_of(conn, settings, dn, username)
    finally:
        conn.unbind()
    granted = next((mapping for mapping in mappings if mapping.cn in groups), None)
    if granted is None:
        log.info("directory user %s is in no PortGate group", username)
        return None
    return _local_row(session, existing, username.lower(), granted)


def _local_row(session: Session, user: User | None, username: str, granted: GroupRole) -> User:
    """Create or update the directory user's row; audited when it is new or changed."""
    before = None if user is None else {"role": str(user.role), "site_id": user.site_id}
    if user is None:
        user = User(username=username, password_hash=DIRECTORY_PASSWORD_MARK, role=granted.role)
    after = {"role": str(granted.role), "site_id": granted.site_id}
    if before == after:
        return user
    if granted.site_id is not None and session.get(Site, granted.site_id) is None:
        raise DirectoryUnavailable(
            f"PORTGATE_LDAP_GROUP_ROLES names an unknown site {granted.site_id!r}"
        )
    user.role, user.site_id = granted.role, granted.site_id
    session.add(user)
    append_audit(
        session=session,
        actor="directory",
        action="user.directory_sync",
        target=f"user:{username}",
        before=before,
        after={**after, "group": granted.cn},
    )
    session.commit()
    session.refresh(user)
    return user
