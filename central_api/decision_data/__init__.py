"""Decision data: its version, what each version touched, and the per-process cache.

Database triggers bump one decision-data version on every change a decision can see and
note what it touched (`changes`); each process keeps the decision inputs it has read
(`cache`), valid while that version holds, and carries over every entry a change did not
touch. Below `security` (gate keys are cached here too) and `decisions`.
"""
