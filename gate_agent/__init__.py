"""gate_agent: the edge agent of one gate (docs/agent.md).

Modules, each with one job: `config` (YAML -> pydantic), `frames` and `frame_pump` (camera
and code-scan worker), `face_step` and `face_biometrics` (1:1 verify and liveness),
`decision_glue` (pure: presentation + replica -> `decide()`), `api_client`, `decider` and
`workers` (blocking work off the loop), `replica_store`, `outbox` and `event_sender`
(durable events), `turnstile` and `story` (open command to one AccessEvent), `mqtt_link`,
`agent` (the loop), `app` (wiring) and `service` (what `portgate agent` runs).
`code_scanner` (QR and barcodes) belongs to the biometrics side.
"""
