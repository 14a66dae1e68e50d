"""Security: callers, their scope, page protection, templates at rest.

Who is calling and what they may see: users (JWT bearer or session cookie, by role), gate
agents' API keys, a site-bound user's scope, page security (login redirect, CSRF), face
templates at rest (AES-256-GCM) and the gates' command keys that sign OpenCommands.
"""
