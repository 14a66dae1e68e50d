"""Gate replicas and their versions.

Gate replicas: what each gate keeps for offline decisions (only the people allowed
there) and the per-site versions that every change a gate must learn bumps.
"""
