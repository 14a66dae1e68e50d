"""`portgate enroll sync` and its reports: people kept in step with HR (docs/directory.md).

``sync FILE|--ldap --site SITE`` prints the diff (a dry run) and applies it with
``--apply``; ``sync-reports`` lists the stored reports of applied runs and prints one.
The commands are registered on `portgate enroll` (portgate/commands/enroll.py).
"""

from portgate.commands.hr.sync import sync_command, sync_reports_command

__all__ = ["sync_command", "sync_reports_command"]
