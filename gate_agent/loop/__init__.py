"""The agent's message loop and its threads.

The agent's message loop: one thread owns the gate's state, everything else talks to it
through its inbox; the worker threads that do blocking work off the loop (decisions,
replica sync, confirmation) and the base of the background loops.
"""
