"""`portgate backup` and `portgate restore`: the database in one file (docs/backup.md)."""
