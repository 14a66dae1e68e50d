"""Sharing between installations of one port community (docs/sharing.md).

Owns the community's members and their Ed25519 keys, the signed `SharedItem` envelope and
its checks (issuer, signature, schema version, sequence), the Traffic Light Protocol 2.0
rule of who may receive an item, the outgoing log (`outgoing.share`), the received log and
the appliers that turn a received item into a local change (bans, their lifts, company
status), a ban's face templates sealed to each recipient member and put on the
receiver's watchlist (`faces`), the refusal counters an admin reads, keyed identity
references (HMAC of a document number under the community key) and the catch-up feed.
The transport is the brokers' own bridging (`portgate community broker-config`) plus the
HTTPS feed; nothing here is a broker.
"""
