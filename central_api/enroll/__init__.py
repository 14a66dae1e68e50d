"""Enrollment at the security desk: people, photos to templates, badges, passes, privacy.

The desk's HTTP routes are in `central_api.routes.desk`; their router's lifespan runs the
purge timer (`purge_timer`). The enrollment tables come from the Alembic migrations
(`portgate db upgrade`), like every other table.
"""
