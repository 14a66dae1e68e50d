"""`portgate groups ...`: access groups (zones on a schedule) and who holds them.

Imported staff are allowed nowhere until they hold a group: these commands let an
integrator create the groups and grant them from the shell, audited like the API's routes.
"""
