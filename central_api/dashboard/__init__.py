"""The live operator dashboard: the board, the live feed and hub, tiles, alarms, muster, charts.

Its HTTP routes and `mount_dashboard` (the one call an app factory makes) are in
`central_api.routes.dashboard`.
"""
