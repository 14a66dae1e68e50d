"""Commands on incident reports: `portgate community export|import --stix` (`stix`).

A folder of its own because `portgate/commands/` is at the 20-module limit; the
`community` group is made here until the sharing room's `community` commands take it over
(`stix.add_stix_commands(group)` puts these on theirs).
"""
