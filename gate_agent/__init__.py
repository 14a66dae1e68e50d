"""gate_agent: the edge agent of one gate (docs/agent.md, docs/architecture.md).

Rooms, each a sub-package that owns one part of the gate:

- `links/`: the agent's connections (the MQTT link, the HTTP client of the central API),
  what it accepts from the bus and its retained node status;
- `camera/`: frame sources, the frame pump (camera thread, ring of recent frames) and the
  QR and barcode scanner;
- `face/`: the face step's interfaces (1:1 verify, liveness), the face track and its
  thread, the pre-search, the window after a credential, 1:N identification and the real
  checks on `biometrics`;
- `decision/`: from a credential to one recorded event: intake, the decider (API first,
  the replica when it is away), the pure replica policy, admission, turnstile, story;
- `outbox/`: events and alarms durable on disk until the API has them, their delivery
  and confirmation;
- `loop/`: the agent's message loop, its inbox and the threads that do blocking work.

At the root: `config` (YAML -> pydantic), `app` (the one place the parts are wired) and
`service` (what `portgate agent` runs).
"""
