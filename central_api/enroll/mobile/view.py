"""What the phone page shows for a valid link: live status, window, gates, first name, QR.

The status is read fresh on every call: not yet valid and expired from the pass's window,
used from its visit (a one-time pass the gate consumed), cancelled when the desk struck the
pass off (its `IssuedPass` is gone, the link row stays). Only a pass that can still open a
gate (not yet valid, valid) carries its token and the QR code of exactly that token; a
used, cancelled or expired one shows no code. Nothing else of the holder leaves: the first
name only, no person id, company, plate or photo.
"""

from datetime import datetime
from enum import StrEnum

import segno
from gate_protocol.i18n.locales import SUPPORTED_LOCALES
from pydantic import BaseModel
from sqlmodel import Session

from central_api.enroll.pass_card import card_time
from central_api.enroll.tables import IssuedPass, MobilePassLink
from central_api.models import Appointment, Person, Site

__all__ = ["MobilePassStatus", "MobilePassView", "holder_language", "pass_language", "pass_view"]

# Pixels per QR module in the data URI: larger than a phone shows it, so the page only
# scales it down (smoothly: every module keeps its width, which nearest-neighbour would not).
_QR_SCALE = 10


class MobilePassStatus(StrEnum):
    """Where a pass stands now, as the phone says it."""

    NOT_YET_VALID = "not_yet_valid"
    VALID = "valid"
    USED = "used"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class MobilePassView(BaseModel):
    """The phone page's data; `token` and `qr` only while the pass can open a gate."""

    pass_id: str
    status: MobilePassStatus
    first_name: str
    gates: list[str]
    not_before: datetime | None
    expires_at: datetime | None
    valid_from: str | None  # in the site's zone, with its abbreviation
    valid_until: str | None
    zone: str | None
    used_at: str | None
    token: str | None
    qr: str | None  # a PNG data URI of `token`
    language: str | None  # the pass's or else the holder's language, when the pages speak it


def holder_language(person: Person) -> str | None:
    """The holder's preferred language for the page, when the pages speak it.

    The lane display speaks more languages than the pages (Polish, Romanian, Lithuanian,
    Turkish); for those the page keeps the browser's choice rather than fall back to English.
    """
    language = person.preferred_language
    return language if language in SUPPORTED_LOCALES else None


def pass_language(appointment: Appointment, person: Person) -> str | None:
    """The pass's own language when the pages speak it, else the holder's (issue 26.2).

    A pass issued in Polish for someone who prefers Dutch opens in Dutch: the pages do not
    speak Polish, and the holder's own choice is closer than the browser's guess.
    """
    if appointment.language in SUPPORTED_LOCALES:
        return appointment.language
    return holder_language(person)


def _status(issued: IssuedPass, appointment: Appointment, now: datetime) -> MobilePassStatus:
    if appointment.one_time and appointment.used_at is not None:
        return MobilePassStatus.USED
    if now >= issued.expires_at:
        return MobilePassStatus.EXPIRED
    if now < issued.not_before:
        return MobilePassStatus.NOT_YET_VALID
    return MobilePassStatus.VALID


def _qr(token: str) -> str:
    # Like the printed card: level M, no boost, so the symbol is the gate's usual size.
    symbol = segno.make(token, error="m", micro=False, boost_error=False)
    return str(symbol.png_data_uri(scale=_QR_SCALE))


def pass_view(
    *, session: Session, link: MobilePassLink, now: datetime, locale: str
) -> MobilePassView | None:
    """The page's data for `link` at `now`, texts in `locale`; None if the holder is gone."""
    person = session.get(Person, link.person_id)
    if person is None:
        return None
    first_name = person.display_name.split()[0] if person.display_name.split() else ""
    issued = session.get(IssuedPass, link.pass_id)
    appointment = session.get(Appointment, issued.appointment_id) if issued else None
    if issued is None or appointment is None:
        return MobilePassView(
            pass_id=link.pass_id,
            status=MobilePassStatus.CANCELLED,
            first_name=first_name,
            gates=[],
            not_before=None,
            expires_at=None,
            valid_from=None,
            valid_until=None,
            zone=None,
            used_at=None,
            token=None,
            qr=None,
            language=holder_language(person),
        )
    status = _status(issued, appointment, now)
    site = session.get(Site, appointment.site_id)
    zone = site.timezone if site is not None and site.timezone else "UTC"  # where the gates are
    shows_code = status in (MobilePassStatus.VALID, MobilePassStatus.NOT_YET_VALID)
    used = appointment.used_at if status is MobilePassStatus.USED else None
    return MobilePassView(
        pass_id=link.pass_id,
        status=status,
        first_name=first_name,
        gates=[g.upper() for g in appointment.gates],
        not_before=issued.not_before,
        expires_at=issued.expires_at,
        valid_from=card_time(issued.not_before, zone=zone, locale=locale),
        valid_until=card_time(issued.expires_at, zone=zone, locale=locale),
        zone=zone,
        used_at=card_time(used, zone=zone, locale=locale) if used else None,
        token=issued.token if shows_code else None,
        qr=_qr(issued.token) if shows_code else None,
        language=pass_language(appointment, person),
    )
