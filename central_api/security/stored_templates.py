"""Stored face templates read back: decrypted, then checked as every template coming in is.

A template stored before the checks of `biometrics.templates` existed (all NaN, all
zero) matches nobody or everybody. Readers that serve many people (the 1:N gallery, a
gate's replica, the desk's "keep at least one" rule) skip such a row and log its id
(never its content), so one bad row does not fail every search; the desk can delete it.
"""

import logging

from biometrics import TemplateError, template_from_bytes

from central_api.models import FaceTemplate
from central_api.security.vault import decrypt_template

__all__ = ["usable_template"]

log = logging.getLogger(__name__)


def usable_template(*, key: bytes, row: FaceTemplate) -> bytes | None:
    """The row's template (512 bytes) when it is a usable one, else None (logged).

    Raises:
        TemplateVaultError: The row does not decrypt with `key` (as `decrypt_template`).
    """
    raw = decrypt_template(
        key=key, person_id=row.person_id, nonce=row.nonce, ciphertext=row.ciphertext
    )
    try:
        template_from_bytes(raw)
    except TemplateError as exc:
        log.warning("face template %s of %s is broken, skipped: %s", row.id, row.person_id, exc)
        return None
    return raw
