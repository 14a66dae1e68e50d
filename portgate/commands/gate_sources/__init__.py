"""One source of truth for gates and lanes: the API's gate table; the files are checked.

A gate is described in four places: the API's gate table (site, zone, lanes, direction),
the site config that `portgate broker users` makes the broker accounts from, each agent's
YAML (site, gate, lanes and their directions) and each bridge's YAML (site, gate, lanes).
The API's table is the authority (docs/production.md, "Gates and lanes: one source"):
``portgate gates site-config SITE`` prints the site config's ``gates:`` section from it,
and ``portgate gates check`` compares the site config, agent and bridge files with it and
names every difference. A running agent checks its own gate and key against the API at
start (gate_agent.links.preflight).
"""

from portgate.commands.gate_sources.check import check_command, site_config_command

__all__ = ["check_command", "site_config_command"]
