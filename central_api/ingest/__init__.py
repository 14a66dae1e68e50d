"""Ingest: storing what gates report.

Storing what gates report: access events (idempotent on event_id), alarms and node status,
from MQTT (one worker thread per process) or HTTP batches (`central_api.routes.gate_uploads`),
and what it stored handed, decoded, to its taps (the live dashboard); what it cannot store
kept as dead letters (`dead_letters`).
"""
