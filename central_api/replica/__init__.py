"""Gate replicas and their versions.

Gate replicas: what each gate keeps for offline decisions (only the people allowed
there) and the per-site versions that every change a gate must learn bumps; the part of a
delta that all gates of a site share, built once per site and change (`site_delta`). What an agent
last reported about its replica (version, sync time) is kept by one rule,
`reported.replica_after`, for both the stored node status and the dashboard's gate board.
"""
