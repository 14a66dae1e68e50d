"""The durable outbox of events and alarms.

Durable delivery: every AccessEvent and AlarmRaised the agent makes stays on disk until the
API has confirmed it. Events and alarms are one design with two kinds (`kinds`): one
durable table (`rows`) each in one file (`store`, with the gate's drafts and memory), one
sender (`sender`: MQTT within a publish window, a broker PUBACK being no proof of storage,
and HTTP replay in batches), one confirmation (`confirm`) that finally lets a row go, and
`delivery`, which drives both kinds from the agent loop.
"""
