"""The audit chain's anchor outside the database: its head, written down, checked later.

A chain rewritten whole (every hash recomputed) verifies on its own; what it cannot
match is a head published before the rewrite. The head (last seq and hash, with the time)
goes to a retained MQTT message and to an append-only file, one JSON line per publication
(`append_head_line`); `verify_against_heads` then checks that the chain's row at each
published seq still has the published hash.
"""

import os
from collections.abc import Iterable
from pathlib import Path

from gate_protocol.messages import AuditHead, MessageError, decode_message
from sqlmodel import Session, select

from central_api.audit.chain import GENESIS_HASH, AuditVerdict
from central_api.db import utc_now
from central_api.models import AuditEntry
from central_api.models import AuditHead as AuditHeadRow

__all__ = [
    "HeadFormatError",
    "append_head_line",
    "current_head",
    "parse_head",
    "read_heads_file",
    "verify_against_heads",
]


class HeadFormatError(ValueError):
    """A published head that cannot be read (neither ``SEQ:HASH`` nor a head's JSON line)."""


def current_head(session: Session) -> AuditHead:
    """The chain's head as the database holds it now, stamped with the time."""
    row = session.get(AuditHeadRow, 1)
    seq, digest = (row.seq, row.hash) if row else (0, GENESIS_HASH)
    return AuditHead(seq=seq, hash=digest, at=utc_now())


def append_head_line(path: Path, head: AuditHead) -> None:
    """Append `head` as one JSON line to `path` (O_APPEND: never rewrites what is there).

    The file should live on another host or a write-once mount: a file the database's
    owner can edit anchors nothing.
    """
    line = head.model_dump_json().encode() + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def parse_head(text: str) -> AuditHead:
    """A head from ``SEQ:HASH`` (what `portgate audit head` prints) or from a JSON line.

    Raises:
        HeadFormatError: Neither form, or a seq or hash out of shape.
    """
    text = text.strip()
    if text.startswith("{"):
        try:
            message = decode_message(text, AuditHead)
        except MessageError as exc:
            raise HeadFormatError(f"not an audit head: {exc}") from None
        assert isinstance(message, AuditHead)  # noqa: S101 (decode_message checked the kind)
        return message
    seq, sep, digest = text.partition(":")
    try:
        return AuditHead(seq=int(seq), hash=digest, at=utc_now())
    except ValueError:
        raise HeadFormatError(
            f"not an audit head: {text[:80]!r} (want SEQ:HASH, 64 lowercase hex digits)"
        ) from None


def read_heads_file(path: Path) -> list[AuditHead]:
    """Every head in a file of published heads (one per line; blank lines skipped).

    Raises:
        HeadFormatError: A line that is not a head (its number is in the message).
    """
    heads = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            heads.append(parse_head(line))
        except HeadFormatError as exc:
            raise HeadFormatError(f"{path}:{number}: {exc}") from None
    return heads


def verify_against_heads(session: Session, heads: Iterable[AuditHead]) -> AuditVerdict:
    """Check that the chain's row at each published seq has the published hash.

    Run after `verify_chain`: that one proves the chain consistent, this one that it is the
    chain that was published (a consistent rewrite fails here, at the first head it broke).
    """
    checked = 0
    for head in sorted(heads, key=lambda h: h.seq):
        stored = _hash_at(session, head.seq)
        published = f"published at {head.at.isoformat()}"
        if stored is None:
            return AuditVerdict(
                False,
                checked,
                head.seq,
                f"seq {head.seq} is missing but a head {published} names it "
                "(rows removed from the chain)",
            )
        if stored != head.hash:
            return AuditVerdict(
                False,
                checked,
                head.seq,
                f"seq {head.seq} has hash {stored[:12]}… but the head {published} says "
                f"{head.hash[:12]}… (the chain was rewritten)",
            )
        checked += 1
    return AuditVerdict(True, checked, message=f"{checked} published heads match the chain")


def _hash_at(session: Session, seq: int) -> str | None:
    if seq == 0:
        return GENESIS_HASH
    return session.exec(select(AuditEntry.hash).where(AuditEntry.seq == seq)).first()
