"""An alarm's camera still at the gate (issue 22.4): opt-in, small, durable, behind events.

Owns whether the agent sends stills at all (`settings`: ``PORTGATE_AGENT_ALARM_STILLS``, off
by default), the frame-to-JPEG step (`encode`: the newest frame of the camera's ring,
downscaled to at most 640 px wide, quality 80), the durable store of stills not yet
acknowledged by the broker (`store`: its own SQLite file beside the outbox with a byte
cap, so stills can never take the events' room), the sender (`sender`: published only
while no event or alarm waits, a small window, a row deleted at its PUBACK) and the
recorder hook that takes the frame when an alarm for a lane is recorded and encodes it
on a thread of its own (`taker`).
The API keeps a still only where the site keeps stills (`central_api.stills`).
"""
