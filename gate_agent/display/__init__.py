"""The lane display (issue 26): what the screen at a lane tells the person standing there.

Owns the guidance a denial gives (`guidance`: every reason code to one message and what to
do next, watchlist and ban alike to the one neutral "please see the security desk"), the
face-position hints, the lane texts in nine languages (`catalog`, gettext domain ``lane``),
each lane's current screen (`board`, fed on the loop and decision threads) and what feeds
it from a verdict (`feed`), and the small HTTP server the lane's tablet reads
(`server`, `page`: a read-only page and its Server-Sent Events, a per-lane token), the
config's ``display`` section (`settings`) and the one object `gate_agent.app` wires
(`service.LaneDisplay`).

It is the agent's lowest room (of PortGate it imports only `gate_protocol`): the
rooms that decide feed it, and it keeps working from the agent alone when the central API
and the broker are away. It never shows more than a first name, and nothing of another
lane (docs/agent.md "Lane display").
"""
