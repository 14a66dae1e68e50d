"""The fault suite's machinery: the fleet of real agents and bridges, its checker, the faults.

`fleet` starts mosquitto, an API and gate agents with in-process turnstiles; `ha_fleet` the
same on PostgreSQL with a streaming standby (`pg_standby`) and API replicas behind HAProxy
(`haproxy`); `history` checks the whole run (lost, duplicated, double or late openings);
`figures` and `report` print each fault's figures line; the rest inject one fault each
(`crash_bridge`, `skewed_agent`, `small_volume`, `gate_swarm` and `swarm_processes`,
`offline_agent`).
"""
