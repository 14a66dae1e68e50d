"""`portgate api` as a process of its own, on a free local port, for tests across processes.

The demo's community starts its installations the same way (`portgate.demo.community`).
"""

from portgate.demo.community.api_process import ApiProcess

__all__ = ["ApiProcess"]
