"""`portgate community ...`: members and keys, references and sharing (`members`), broker files.

docs/sharing.md.
"""

from portgate.commands.community.members import app

__all__ = ["app"]
