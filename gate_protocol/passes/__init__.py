"""Signed QR passes for truck visits and visitors.

`token` is the pass itself (``PG1:`` text: signed fields, issue and verify offline), `codec`
its compact binary and base-44 encoding, `keys` the signing keys and the keyring a gate
verifies with.
"""

__all__: list[str] = []
