"""Keyword-only create/read/update functions over the tables; each audits its change.

Every change ends in `audited.commit_audited`: its rows, its audit entry and, where gates
must learn of it, the replica bump are committed in one transaction.
"""
