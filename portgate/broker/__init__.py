"""Broker provisioning: the site config and the mosquitto files derived from it.

`site_config` reads the site YAML (site, gates, broker users); `mosquitto_auth` hashes
passwords in mosquitto's format; `mosquitto_acl` writes each user's least-privilege ACL;
`mosquitto_files` writes the password, ACL and config files; `process` runs a mosquitto on
a config until it listens, and stops it. Used by `portgate broker users`, by `portgate demo`'s
broker and by the brokers the tests start (`testkit.mosquitto`); no service imports them.
"""
