"""The API's MQTT side.

The API's MQTT side: the broker link behind a small `MessageBus` interface, what a commit
publishes right after it (sync notices, open commands, alarms), and sync notices sent
from a process without the API's link (the CLI).
"""
