"""Test and benchmark support for PortGate: real brokers, databases, servers and doubles.

Development only: imported by tests/ and bench/, never by a product package, and not in
the wheel. Each module is named by what it provides (a mosquitto launcher, a seeded API
world, a fleet of gates...); `tests/test_architecture.py` keeps the import direction.
"""
