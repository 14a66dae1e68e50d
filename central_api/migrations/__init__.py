"""Alembic migrations of the central API."""
