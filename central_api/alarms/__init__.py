"""Alarms: raised by the API itself, acknowledged by operators.

Alarms the API raises itself (watchlist hits, insider patterns) and acknowledging any
alarm: once, with a comment, audited, told to every API replica.
"""
