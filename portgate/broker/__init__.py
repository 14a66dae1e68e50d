"""Broker provisioning: the site config and the mosquitto files derived from it.

`site_config` reads the site YAML (site, gates, broker users); `mosquitto_auth` hashes
passwords in mosquitto's format; `mosquitto_acl` writes each user's least-privilege ACL;
`mosquitto_files` writes the password, ACL and config files. Used by `portgate broker users`
and by `portgate demo`'s broker; no service imports them.
"""
