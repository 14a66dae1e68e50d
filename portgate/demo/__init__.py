"""`portgate demo`: a whole site on one machine (broker, API, dashboard, two gates, a script)."""

from portgate.broker.process import INSTALL_HINT, BrokerMissingError, find_mosquitto
from portgate.demo.broker import DemoBroker
from portgate.demo.site import DemoOptions, DemoSite

__all__ = [
    "INSTALL_HINT",
    "BrokerMissingError",
    "DemoBroker",
    "DemoOptions",
    "DemoSite",
    "find_mosquitto",
]
