"""Deciding one presentation and recording what happened.

From a presentation to one recorded event: intake (a badge read or a decoded code becomes
a presentation), the decider (face step, then the central API, then the local replica
when the API is away), the pure replica policy, the replica on disk and its sync,
admission (open, wait for the ack and the passage), the turnstile's commands in flight,
tailgating, and the story that becomes one AccessEvent in the outbox.
"""
