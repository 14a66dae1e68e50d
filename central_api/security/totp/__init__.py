"""The TOTP second factor of admins and port-authority users (others may opt in).

Owns: the pure code checks and recovery codes (`codes`), the secrets sealed at rest
(`seal`), a user's TOTP in the database (`store`: enroll, confirm, check a login's code
once, reset), who must use it and which step a login goes on to (`policy`), and a login
waiting between its password and its code (`pending`). docs/accounts.md says how it works
and what an admin does when someone loses their phone.
"""
