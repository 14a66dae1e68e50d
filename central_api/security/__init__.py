"""Security: callers, their scope, page protection, templates at rest.

Who is calling and what they may see: users (JWT bearer or session cookie, by role, ended on
the server by the session epoch), the one CSRF rule for cookie-authenticated changes, login
throttling, gate agents' API keys, a site-bound user's scope, page security (login
redirect, the CSRF token), security headers, face templates at rest (AES-256-GCM), the
gates' command keys that sign OpenCommands, and request bodies whose JSON holds NaN,
Infinity or numbers out of range (`strict_json`); login against the company directory
(LDAP / Active Directory, roles from its groups: `directory`, docs/directory.md); the TOTP
second factor of admins and authority users (`totp`, docs/api.md "Two-step login").
"""
