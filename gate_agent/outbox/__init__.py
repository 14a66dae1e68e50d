"""The durable outbox of events and alarms.

Durable delivery: every AccessEvent and AlarmRaised the agent makes stays on disk until the
API has confirmed it. Publishing over MQTT (a broker PUBACK is no proof of storage),
replay over HTTP, and the confirmation that finally lets a row go.
"""
