"""Keyword-only create/read/update functions over the tables; each audits its change."""
