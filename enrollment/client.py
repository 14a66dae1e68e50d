"""`EnrollClient`: the enrollment API over HTTP (httpx), one method per desk action.

Photo answers come back as dicts whatever their status (accepted 201, rejected 422,
possible duplicate 409), because each is a normal outcome at a desk; every other refusal
raises `ApiError` with the API's message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal

import httpx

from enrollment.errors import ApiError

__all__ = ["EnrollClient", "login"]

_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
_PHOTO_STATUSES = frozenset({200, 201, 409, 422})
# What the token route answers a user with TOTP who sent no code (central_api.routes.auth).
_CODE_WANTED = "second factor required: send the TOTP code"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        where = ".".join(str(p) for p in first.get("loc", []) if p != "body")
        return f"{where}: {first.get('msg', '')}".strip(": ")
    return str(detail)


def _check(response: httpx.Response, ok: frozenset[int] = frozenset({200, 201, 204})) -> None:
    if response.status_code not in ok:
        raise ApiError(response.status_code, _detail(response))


def login(
    *,
    api_url: str,
    username: str,
    password: str,
    ask_code: Callable[[], str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """Exchange a user name and password for a bearer token.

    A user with TOTP (opted in, or a role that must have it) is asked for their code with
    `ask_code` when the API wants one, and the login is sent again with it as
    ``totp_code`` (the code from their app, or a recovery code).

    Raises:
        ApiError: Wrong name, password or code, or the API refused.
    """
    form = {"username": username, "password": password}
    with httpx.Client(base_url=api_url, timeout=_TIMEOUT, transport=transport) as http:
        response = http.post("/api/v1/auth/token", data=form)
        if ask_code is not None and _wants_code(response):
            code = ask_code().strip()
            response = http.post("/api/v1/auth/token", data={**form, "totp_code": code})
    _check(response)
    return str(response.json()["access_token"])


def _wants_code(response: httpx.Response) -> bool:
    return response.status_code == 401 and _detail(response).startswith(_CODE_WANTED)


class EnrollClient:
    """The desk's HTTP client of the central API.

    Args:
        api_url: The API's base URL.
        token: A bearer token (from `login`).
        transport: An httpx transport to use instead of the network (tests).
    """

    def __init__(
        self, *, api_url: str, token: str, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._http = httpx.Client(
            base_url=api_url,
            timeout=_TIMEOUT,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
        )

    def __enter__(self) -> EnrollClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self._http.request(method, url, **kwargs)
        _check(response)
        return response.json() if response.content else None

    def create_person(self, person: dict[str, Any]) -> dict[str, Any]:
        """Create a person (fields of EnrollPersonIn); returns the person summary."""
        result: dict[str, Any] = self._json("POST", "/api/v1/enroll/people", json=person)
        return result

    def find_people(self, query: str, *, site_id: str | None = None) -> list[dict[str, Any]]:
        """People whose name, id, external id or badge matches."""
        params = {"q": query, **({"site_id": site_id} if site_id else {})}
        result: list[dict[str, Any]] = self._json("GET", "/api/v1/enroll/people", params=params)
        return result

    def get_person(self, person_id: str) -> dict[str, Any]:
        """One person's summary."""
        result: dict[str, Any] = self._json("GET", f"/api/v1/enroll/people/{person_id}")
        return result

    def update_person(self, person_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a person (name, status, validity) through the people API."""
        result: dict[str, Any] = self._json("PATCH", f"/api/v1/people/{person_id}", json=changes)
        return result

    def revoke_person(self, person_id: str) -> dict[str, Any]:
        """Revoke a person: every gate denies them from the next decision on."""
        return self.update_person(person_id, {"status": "revoked"})

    def activate_person(self, person_id: str, activation: dict[str, Any]) -> dict[str, Any]:
        """Activate an enrolled identity at a site (site_id, access groups, validity)."""
        result: dict[str, Any] = self._json(
            "POST", f"/api/v1/people/{person_id}/activations", json=activation
        )
        return result

    def erase_person(self, person_id: str) -> dict[str, int]:
        """Erase a person everywhere; returns the rows deleted per table."""
        result: dict[str, int] = self._json("DELETE", f"/api/v1/enroll/people/{person_id}")
        return result

    def export_person(self, person_id: str) -> dict[str, Any]:
        """Everything held about a person (subject access request)."""
        result: dict[str, Any] = self._json("GET", f"/api/v1/enroll/people/{person_id}/export")
        return result

    def desk_read(self, number: str, badge_format: str | None = None) -> None:
        """Post a badge read at this desk user's own reader; their desk page fills it in."""
        self._json(
            "POST",
            "/api/v1/enroll/desk-reader/reads",
            json={"number": number, "badge_format": badge_format},
        )

    def add_photo(self, person_id: str, photo: bytes, *, name: str = "photo.jpg") -> dict[str, Any]:
        """Send a photo; the outcome says accepted, rejected (reasons) or duplicate."""
        response = self._http.post(
            f"/api/v1/enroll/people/{person_id}/photos", files={"photo": (name, photo)}
        )
        _check(response, _PHOTO_STATUSES)
        result: dict[str, Any] = response.json()
        return result

    def confirm_pending(
        self, pending_id: str, *, second_user: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """Confirm a duplicate hit as a second desk user (own token, or name and password)."""
        body = {"username": second_user[0], "password": second_user[1]} if second_user else None
        result: dict[str, Any] = self._json(
            "POST", f"/api/v1/enroll/pending-faces/{pending_id}/confirm", json=body
        )
        return result

    def reject_pending(self, pending_id: str) -> None:
        """Drop a face held for confirmation."""
        self._json("POST", f"/api/v1/enroll/pending-faces/{pending_id}/reject")

    def bind_badge(
        self, person_id: str, number: str, *, badge_format: str | None = None
    ) -> dict[str, Any]:
        """Bind a badge number to a person."""
        body = {"kind": "badge", "ref": number, "badge_format": badge_format}
        result: dict[str, Any] = self._json(
            "POST", f"/api/v1/people/{person_id}/credentials", json=body
        )
        return result

    def issue_pass(
        self,
        person_id: str,
        *,
        gates: Sequence[str],
        window_start: datetime,
        window_end: datetime,
        plate: str | None = None,
        one_time: bool = True,
        language: str | None = None,
    ) -> dict[str, Any]:
        """Book a truck visit and get its signed pass (token, pass id, window).

        `language`: the lane display's language for this pass (None: the holder's own).
        """
        body = {
            "gates": list(gates),
            "window_start": window_start.isoformat(),
            "window_end": window_end.isoformat(),
            "plate": plate,
            "one_time": one_time,
            "language": language,
        }
        result: dict[str, Any] = self._json(
            "POST", f"/api/v1/enroll/people/{person_id}/passes", json=body
        )
        return result

    def pass_card(
        self, pass_id: str, *, fmt: Literal["png", "pdf"], photo: bytes | None = None
    ) -> bytes:
        """The printable pass card as PNG or PDF bytes (with the photo, when given)."""
        files = {"photo": ("photo.jpg", photo)} if photo else None
        response = self._http.post(
            f"/api/v1/enroll/passes/{pass_id}/card", params={"format": fmt}, files=files
        )
        _check(response)
        return response.content

    def external_ids(self, site_id: str) -> dict[str, str]:
        """External ids already enrolled at a site, to person ids."""
        result: dict[str, str] = self._json(
            "GET", "/api/v1/enroll/external-ids", params={"site_id": site_id}
        )
        return result

    def import_person(
        self, person: dict[str, Any], photos: Sequence[tuple[str, bytes]]
    ) -> dict[str, Any]:
        """Import one person with their photos in one server transaction."""
        import json  # noqa: PLC0415

        files = [("photos", (name, data)) for name, data in photos]
        response = self._http.post(
            "/api/v1/enroll/import/person",
            data={"person": json.dumps(person)},
            files=files or None,
        )
        _check(response, frozenset({200, 201, 422}))
        result: dict[str, Any] = response.json()
        return result
