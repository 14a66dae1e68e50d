"""A small community on databases the tests made: a hub and members joined by token.

`form_community` runs the same service calls as `portgate community init|token|join|add`
on each installation's database, so tests start from a community whose members know each
other's keys.
"""

from collections.abc import Mapping

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.community.members import (
    CommunityKeys,
    add_member,
    init_community,
    join_community,
    join_token,
    load_keys,
)

__all__ = ["SEAL_KEY", "form_community", "keys_of"]

# The template key the tests seal community keys with (32 bytes, like PORTGATE_TEMPLATE_KEY).
SEAL_KEY = bytes(range(32))


def form_community(
    hub: Engine, members: Mapping[str, Engine], *, community_id: str = "nsp"
) -> None:
    """Make `hub` the hub (member id ``hub``) and join each of `members`, known to all."""
    with Session(hub) as session:
        init_community(
            session=session,
            community_id=community_id,
            name="North Sea Port",
            hub_id="hub",
            seal_key=SEAL_KEY,
            actor="test",
        )
        token = join_token(session=session, seal_key=SEAL_KEY)
    public: dict[str, str] = {}
    for member_id, engine in members.items():
        with Session(engine) as session:
            own = join_community(
                session=session,
                token=token,
                member_id=member_id,
                name=member_id,
                seal_key=SEAL_KEY,
                actor="test",
            )
            public[member_id] = own.public_key_b64
    for installation in [hub, *members.values()]:
        with Session(installation) as session:
            own_id = load_keys(session=session, seal_key=SEAL_KEY).own_member_id
            for member_id, key in public.items():
                if member_id != own_id:
                    add_member(
                        session=session,
                        member_id=member_id,
                        name=member_id,
                        public_key_b64=key,
                        actor="test",
                    )


def keys_of(engine: Engine) -> CommunityKeys:
    """The installation's community keys."""
    with Session(engine) as session:
        return load_keys(session=session, seal_key=SEAL_KEY)
