"""A second desk user signs a four-eyes decision at the first user's desk (name + password).

The pending face is looked up before the password, so an unknown id answers 404 whatever
the password; the password goes through the login throttle like every other login (429 when
the account or the address is locked); a refused signature is audited under the desk user
who asked for it.
"""

from fastapi import HTTPException, Request, status
from sqlmodel import Session

from central_api.audit.chain import append_audit
from central_api.enroll.photos import get_pending
from central_api.enroll.schemas import SecondUserIn
from central_api.models import Role
from central_api.security.login import LoginRefused, check_password, refused_answer

__all__ = ["second_user_actor"]

_SIGNERS = (Role.SECURITY_DESK, Role.ADMIN)


def second_user_actor(
    *, session: Session, request: Request, pending_id: str, signer: SecondUserIn, asked_by: str
) -> str:
    """The audit actor of the second user who signs for `pending_id`.

    Raises:
        NotFoundError: No such pending face (before any password is checked).
        HTTPException: 429 while throttled; 403 for a wrong name or password or a user who
            is not a desk user (one answer for both, audited).
    """
    get_pending(session, pending_id)
    try:
        checked = check_password(
            session=session,
            request=request,
            username=signer.username,
            password=signer.password,
            via="second_user",
        )
    except LoginRefused as refused:
        raise refused_answer(refused) from None
    user = checked.user
    if user is None or Role(user.role) not in _SIGNERS:
        append_audit(
            session=session,
            actor=asked_by,
            action="face.second_user_refused",
            target=f"user:{signer.username}",
            after={"pending_id": pending_id},
        )
        session.commit()
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="the second user's signature is not valid"
        )
    return f"user:{user.username}"
