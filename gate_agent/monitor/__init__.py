"""The agent's monitoring: its Prometheus metrics and the HTTP endpoint that serves them.

Owns one `CollectorRegistry` per agent (never the process's default one: a test process
runs several agents). What the loop already keeps (frame counts, the MQTT link's state,
the replica view, the outbox file) is read when Prometheus scrapes; decisions are counted
as the loop hands out their final verdicts. Nothing here runs on an MQTT callback.
"""
