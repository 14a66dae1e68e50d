"""The agent's links: MQTT and the central API.

The agent's links to the world: the MQTT connection, the HTTP client of the central API,
the messages it accepts from the bus and its node status (retained, last will), and the
checks before the start that the API knows the gate and its key and the broker is there
(`preflight`).

Nothing here decides anything: a link turns bytes into typed messages and back.
"""
