"""The language a user reads the pages in: stored on the user and in the ``pg_lang`` cookie."""

from fastapi import APIRouter, HTTPException, Response, status
from gate_protocol.i18n import LOCALE_NAMES, UnknownLocaleError, parse_locale
from pydantic import BaseModel, Field

from central_api.crud.users import set_user_locale
from central_api.deps import SessionDep
from central_api.security.auth import AnyUser
from central_api.web.locale import LOCALE_COOKIE, lang_cookie_header

__all__ = ["router"]

router = APIRouter(tags=["users"])


class LocaleIn(BaseModel):
    """The language to use; null: follow the browser's ``Accept-Language`` again."""

    model_config = {"extra": "forbid"}

    locale: str | None = Field(default=None, max_length=20, examples=["nl"])


class LocaleOut(BaseModel):
    """The user's language (null: the browser's) and the languages PortGate speaks."""

    locale: str | None
    supported: dict[str, str]


@router.post("/api/v1/me/locale", response_model=LocaleOut)
def choose_locale(
    body: LocaleIn, user: AnyUser, session: SessionDep, response: Response
) -> LocaleOut:
    """Remember the caller's language on their account and in this browser (400: unknown)."""
    locale: str | None = None
    if body.locale is not None:
        try:
            locale = parse_locale(body.locale)
        except UnknownLocaleError as error:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from None
    set_user_locale(session=session, username=user.username, locale=locale, actor=user.actor)
    if locale is None:
        response.delete_cookie(LOCALE_COOKIE, path="/")
    else:
        response.headers.append("set-cookie", lang_cookie_header(locale))
    return LocaleOut(locale=locale, supported=dict(LOCALE_NAMES))
