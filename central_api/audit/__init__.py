"""The audit log and what it may say about a person.

The hash-chained audit log (append inside the caller's transaction, verify the chain), its
head published outside the database (retained MQTT message, append-only file), and
what an audit row may say about a person (ids and keyed hashes, never clear data).
"""
