"""A community formed on fresh databases: a hub and members joined by token, known to all.

`form_community` runs the same service calls as `portgate community init|token|join|add`
on each installation's database (before their APIs start), so the demo and the tests start
from a community whose members know each other's keys.
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

__all__ = ["HUB_ID", "form_community", "keys_of"]

HUB_ID = "hub"


def form_community(
    hub: Engine,
    members: Mapping[str, Engine],
    *,
    seal_key: bytes,
    community_id: str = "nsp",
    actor: str = "test",
) -> None:
    """Make `hub` the hub (member id ``hub``) and join each of `members`, known to all.

    Every installation seals its community keys with `seal_key` (its PORTGATE_TEMPLATE_KEY).
    """
    with Session(hub) as session:
        init_community(
            session=session,
            community_id=community_id,
            name="North Sea Port",
            hub_id=HUB_ID,
            seal_key=seal_key,
            actor=actor,
        )
        token = join_token(session=session, seal_key=seal_key)
    public: dict[str, str] = {}
    for member_id, engine in members.items():
        with Session(engine) as session:
            own = join_community(
                session=session,
                token=token,
                member_id=member_id,
                name=member_id,
                seal_key=seal_key,
                actor=actor,
            )
            public[member_id] = own.public_key_b64
    for installation in [hub, *members.values()]:
        with Session(installation) as session:
            own_id = load_keys(session=session, seal_key=seal_key).own_member_id
            for member_id, key in public.items():
                if member_id != own_id:
                    add_member(
                        session=session,
                        member_id=member_id,
                        name=member_id,
                        public_key_b64=key,
                        actor=actor,
                    )


def keys_of(engine: Engine, *, seal_key: bytes) -> CommunityKeys:
    """The installation's community keys."""
    with Session(engine) as session:
        return load_keys(session=session, seal_key=seal_key)
