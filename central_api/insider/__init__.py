"""Insider-pattern detection on stored events.

Insider-pattern checks on newly stored events (each hit an explained alarm) and their
thresholds: code defaults, overridden per site.
"""
