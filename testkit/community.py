"""A small community on databases the tests made: a hub and members joined by token.

`form_community` is the demo's (`portgate.demo.community.formation`: the same service calls
as `portgate community init|token|join|add`), sealed with the tests' fixed template key.
"""

from collections.abc import Mapping

from sqlalchemy import Engine

from central_api.community.members import CommunityKeys
from portgate.demo.community import formation

__all__ = ["SEAL_KEY", "form_community", "keys_of"]

# The template key the tests seal community keys with (32 bytes, like PORTGATE_TEMPLATE_KEY).
SEAL_KEY = bytes(range(32))


def form_community(
    hub: Engine, members: Mapping[str, Engine], *, community_id: str = "nsp"
) -> None:
    """Make `hub` the hub (member id ``hub``) and join each of `members`, known to all."""
    formation.form_community(hub, members, seal_key=SEAL_KEY, community_id=community_id)


def keys_of(engine: Engine) -> CommunityKeys:
    """The installation's community keys."""
    return formation.keys_of(engine, seal_key=SEAL_KEY)
