"""Gate signs: the token in a sign's QR code, issued per gate and rotated when a sign leaks.

A sign's URL is ``{base}/report/{site}/{token}``: the site id and 128 random bits, which
name the gate only through this table. Rotating a gate's sign retires its old token (the
old sign's page then says it is no longer in use) and issues a new one; both audited.
"""

from sqlmodel import Session, select

from central_api.crud.audited import commit_audited
from central_api.db import utc_now
from central_api.errors import NotFoundError
from central_api.models import Gate
from central_api.staff_reports.codes import new_sign_token
from central_api.staff_reports.tables import StaffReportSign

__all__ = ["current_sign", "issue_sign", "sign_url"]


def sign_url(base_url: str, sign: StaffReportSign) -> str:
    """The page a sign's QR code opens."""
    return f"{base_url.rstrip('/')}/report/{sign.site_id}/{sign.token}"


def current_sign(*, session: Session, gate_id: str) -> StaffReportSign | None:
    """The gate's sign in use, if it has one."""
    return session.exec(
        select(StaffReportSign)
        .where(StaffReportSign.gate_id == gate_id)
        .where(StaffReportSign.retired_at == None)  # noqa: E711 (SQL IS NULL)
    ).first()


def issue_sign(*, session: Session, gate_id: str, actor: str, rotate: bool) -> StaffReportSign:
    """The gate's sign in use; a new one if it has none or `rotate` (retiring the old one)."""
    gate = session.get(Gate, gate_id)
    if gate is None:
        raise NotFoundError(f"unknown gate {gate_id!r}")
    sign = current_sign(session=session, gate_id=gate_id)
    if sign is not None and not rotate:
        return sign
    rows = []
    if sign is not None:
        sign.retired_at = utc_now()
        rows.append(sign)
    new = StaffReportSign(
        token=new_sign_token(), site_id=gate.site_id, gate_id=gate_id, created_by=actor
    )
    rows.append(new)
    commit_audited(
        session,
        actor=actor,
        action="staff_report.sign_rotate" if sign is not None else "staff_report.sign_issue",
        target=f"gate:{gate_id}",
        after={"site_id": gate.site_id, "rotated": sign is not None},
        rows=rows,
    )
    session.refresh(new)
    return new
