"""Backups: `portgate backup` and `portgate restore` of the whole database (docs/backup.md).

One file per backup: a tar of the manifest (format, PortGate version, Alembic revision,
database kind, the audit chain's head, row counts per table, a check value of the template
key and the payload's SHA-256), its seal (a SHA-256 and an HMAC under a key derived from the
template key) and the payload (SQLite: the online backup API's copy; PostgreSQL: ``pg_dump
-Fc`` of an exported snapshot, so the manifest counts what the dump holds). A restore checks
the file, the key and the target before it writes anything, then the restored database
against the manifest and the audit chain. The template key itself is never in a backup.
"""
