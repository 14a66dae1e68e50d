"""Central decisions and the live state they read.

Central decisions: a gate's request answered from the decision inputs (cached per process
while the decision-data version holds, or read from the database) and the live state read
fresh for each decision, then the shared pure `gate_protocol.policy.decide()`.

The call path (docs/api.md: the lane, the cache, the live reader):

- `entry.decide` (async) is the one entry. The decision route
  (`central_api.routes.gates.post_decision`) and the decision lane (`lane.DecisionLane`,
  the ASGI middleware that answers warm gates below the framework) both call it, on the
  event loop.
- It tries `entry.decide_on_event_loop` (async, on the event loop, no thread): inputs from
  the cache's generation (`inputs.cached_decision_inputs`), the live state from
  `live_reader.LiveReader` (PostgreSQL), then `in_session.judge_presentation` and
  `in_session.finish_decision`. It answers None when it cannot decide alone.
- Otherwise one hop to a worker thread: `entry.decide_on_worker_thread` (blocking) opens
  the app's sessions and runs `in_session.decide_in_session`, which loads the inputs and
  the live state through the session (`inputs.load_decision_inputs`), reloads a newer
  generation when the data version moved, and writes a consumed pass or an alarm.

`in_session.decide_in_session` is also what the benchmark's "service alone" and the
pass-race test call directly, with a session of their own.
"""
