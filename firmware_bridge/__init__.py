"""firmware_bridge: MQTT <-> one gate's turnstiles and badge readers (docs/bridge.md).

Entry points: ``firmware_bridge.assembly.build_bridge(config)`` and
``firmware_bridge.config.load_bridge_config(path)``. The broker's users, ACLs and config
are written by the CLI (``portgate.broker``), not by the bridge.
"""
