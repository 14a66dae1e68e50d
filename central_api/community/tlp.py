"""Traffic Light Protocol 2.0 as the receiving and forwarding sides enforce it (pure).

TLP:CLEAR, GREEN and AMBER items go to every member of the community (what a member may
do with them inside its own organisation is the label's rule for people, shown with the
item). TLP:AMBER+STRICT and TLP:RED items go only to the members named in the item; a
member that receives one it is not named in refuses it (`not_for_us`), and the feed hands
an item to a member only when that member may receive it. A RED item is never passed on
by anyone but its issuer: not even the hub's feed serves it to a named recipient.
"""

from central_api.community.envelope import SharedItem, Tlp

__all__ = ["may_forward", "may_receive"]


def may_receive(item: SharedItem, member_id: str) -> bool:
    """True if `member_id` may hold `item` (the issuer always may)."""
    if member_id == item.issuer:
        return True
    if item.tlp.addressed:
        return member_id in item.recipients
    return True


def may_forward(item: SharedItem, *, holder: str, to: str) -> bool:
    """True if `holder` may hand `item` on to `to` (the feed's rule); RED: its issuer only."""
    if item.tlp is Tlp.RED and holder != item.issuer:
        return False
    return to != item.issuer and may_receive(item, to)
