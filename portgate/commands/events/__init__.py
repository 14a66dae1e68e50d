"""`portgate events search|export`: the API's event search and CSV export on the command line.

A folder of its own because `portgate/commands/` is at the 20-module limit. The commands
read the database at DATABASE_URL, as `portgate companies list` does, site-wide (the
machine's operator sees every site), with the filters the API checks (`central_api.search`).
"""
